import { describe, expect, it } from 'vitest'
import { COMMANDS, GO_KEYS, NEW_KEYS, matchCommands } from './commands'
import { SECTIONS } from './sections'

describe('commands', () => {
  it('match every typed word in any order', () => {
    expect(matchCommands('page new').map((c) => c.id)).toEqual(['new-page'])
    expect(matchCommands('> go dec').map((c) => c.id)).toEqual(['go-decisions'])
    expect(matchCommands('nothing like this')).toEqual([])
  })
  it('have one distinct go-key per section and distinct new-keys', () => {
    const keys = SECTIONS.map((s) => GO_KEYS[s.id])
    expect(new Set(keys).size).toBe(SECTIONS.length)
    expect(Object.keys(NEW_KEYS).length).toBe(COMMANDS.filter((c) => c.id.startsWith('new-')).length)
  })
})
