import { describe, expect, it } from 'vitest'
import { assignIds, buildPatch, emptyOption, linesToList, type DecisionDraft } from './decisionDraft'

function draft(): DecisionDraft {
  return {
    title: 'Pick a database',
    context: 'We need one.',
    drivers: 'cheap\n\n  fast  \n',
    options: [],
    chosen: null,
    rationale: '',
    consequences: '',
    deciders: '',
    consulted: '',
    informed: '',
    decideBy: '',
  }
}

describe('decision draft', () => {
  it('turns lines into list items, skipping blanks', () => {
    expect(linesToList('a\n\n  b \n')).toEqual(['a', 'b'])
  })

  it('sends only the dirty fields, with their newest values', () => {
    const d = draft()
    const { patch, sentKeys } = buildPatch(d, new Set(['title', 'drivers']))
    expect(patch).toEqual({ title: 'Pick a database', drivers: ['cheap', 'fast'] })
    expect(sentKeys).toBeNull()
  })

  it('gives new options the ids the engine assigned, even if rows moved meanwhile', () => {
    const d = draft()
    const a = { ...emptyOption(), title: 'SQLite', pros: 'embedded\nfast' }
    const b = { ...emptyOption(), title: 'Postgres' }
    d.options = [a, b]
    const { patch, sentKeys } = buildPatch(d, new Set(['options']))
    expect(patch.options).toEqual([
      { id: '', title: 'SQLite', description: '', pros: ['embedded', 'fast'], cons: [] },
      { id: '', title: 'Postgres', description: '', pros: [], cons: [] },
    ])
    // While the write was in flight the user removed the first row and added another.
    const c = emptyOption()
    d.options = [b, c]
    assignIds(d, sentKeys ?? [], [
      { id: 'id-a', title: 'SQLite', description: '', pros: [], cons: [] },
      { id: 'id-b', title: 'Postgres', description: '', pros: [], cons: [] },
    ])
    expect(d.options.map((o) => o.id)).toEqual(['id-b', ''])
  })
})

describe('people and decide-by', () => {
  it('round-trip through the form', async () => {
    const { textToPeople, peopleToText, toLocalInput, fromLocalInput } = await import('./decisionDraft')
    expect(textToPeople(' Ada, , Sam ')).toEqual(['Ada', 'Sam'])
    expect(peopleToText(['Ada', 'Sam'])).toBe('Ada, Sam')
    const ms = new Date(2026, 10, 24, 17, 30).getTime()
    expect(toLocalInput(ms)).toBe('2026-11-24T17:30')
    expect(fromLocalInput(toLocalInput(ms))).toBe(ms)
    expect(fromLocalInput('')).toBeNull()
  })
})
