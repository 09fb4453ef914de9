import { describe, expect, it } from 'vitest'
import { ACTIONS, GO_KEYS, NEW_KEYS, matchActions } from './commands'
import { SECTIONS } from './sections'

describe('palette actions', () => {
  it('match every typed word in any order', () => {
    expect(matchActions('page new').map((c) => c.id)).toEqual(['new-page'])
    expect(matchActions('> go dec').map((c) => c.id)).toEqual(['go-decisions'])
    expect(matchActions('nothing like this')).toEqual([])
  })
  it('have one distinct go-key per section and distinct new-keys', () => {
    const keys = SECTIONS.map((s) => GO_KEYS[s.id])
    expect(new Set(keys).size).toBe(SECTIONS.length)
    expect(Object.keys(NEW_KEYS).length).toBe(ACTIONS.filter((c) => c.id.startsWith('new-')).length)
  })
})
