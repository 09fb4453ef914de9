import { describe, expect, it } from 'vitest'
import { wikiTargetAt } from './livePreview'

describe('wikiTargetAt', () => {
  const line = 'See [[Hiring plan|the plan]] and [[Onboarding]].'
  it('finds the link under the position, without its label', () => {
    expect(wikiTargetAt(line, 8)).toBe('Hiring plan')
    expect(wikiTargetAt(line, line.indexOf('Onboarding'))).toBe('Onboarding')
  })
  it('finds nothing between links', () => {
    expect(wikiTargetAt(line, 0)).toBeNull()
    expect(wikiTargetAt(line, line.indexOf(' and ') + 2)).toBeNull()
  })
})
