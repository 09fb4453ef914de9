import { describe, expect, it } from 'vitest'
import { ChangeSet, EditorState, type TransactionSpec } from '@codemirror/state'
import { applySplices, changesToSplices } from './splices'

function roundTrip(doc: string, spec: TransactionSpec) {
  const state = EditorState.create({ doc, extensions: EditorState.lineSeparator.of('\n') })
  const tr = state.update(spec)
  const splices = changesToSplices(tr.changes)
  return { splices, after: tr.state.doc.toString(), applied: applySplices(doc, splices) }
}

describe('changesToSplices', () => {
  it('turns typing into an insert at the cursor', () => {
    const r = roundTrip('Hello', { changes: { from: 5, insert: ' world' } })
    expect(r.splices).toEqual([{ pos: 5, delete: 0, insert: ' world' }])
    expect(r.applied).toBe('Hello world')
  })

  it('turns a selection replaced by typing into one splice', () => {
    const r = roundTrip('Hello world', { changes: { from: 6, to: 11, insert: 'there' } })
    expect(r.splices).toEqual([{ pos: 6, delete: 5, insert: 'there' }])
    expect(r.applied).toBe(r.after)
  })

  it('counts UTF-16 code units around emoji and astral characters', () => {
    // "👋" is two UTF-16 code units; "é" one; "𝄞" two.
    const doc = 'a👋bé𝄞c'
    const r = roundTrip(doc, { changes: { from: 3, to: 4, insert: '🎉' } })
    expect(r.splices).toEqual([{ pos: 3, delete: 1, insert: '🎉' }])
    expect(r.applied).toBe('a👋🎉é𝄞c')
    const end = roundTrip(doc, { changes: { from: doc.length, insert: '!' } })
    expect(end.splices).toEqual([{ pos: 8, delete: 0, insert: '!' }])
  })

  it('positions later changes of one transaction after the earlier ones are applied', () => {
    // Multi-cursor typing: two inserts and a deletion in one transaction.
    const doc = 'one two three'
    const r = roundTrip(doc, {
      changes: [
        { from: 0, insert: '>> ' },
        { from: 4, to: 8 },
        { from: 13, insert: ' 👍' },
      ],
    })
    expect(r.after).toBe('>> one three 👍')
    expect(r.applied).toBe(r.after)
    expect(r.splices.map((s) => s.pos)).toEqual([0, 7, 12])
  })

  it('keeps line breaks and carriage returns as typed', () => {
    const r = roundTrip('a\r\nb', { changes: { from: 4, insert: '\nc' } })
    expect(r.applied).toBe('a\r\nb\nc')
    expect(r.applied).toBe(r.after)
  })

  it('drops empty changes', () => {
    expect(changesToSplices(ChangeSet.empty(3))).toEqual([])
  })

  it('round-trips many random edits', () => {
    let seed = 7
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const pieces = ['x', '👋', 'é', '\n', '漢字', '🏳️‍🌈', '']
    let state = EditorState.create({ doc: 'start', extensions: EditorState.lineSeparator.of('\n') })
    let mirror = state.doc.toString()
    for (let i = 0; i < 300; i++) {
      const len = state.doc.length
      const a = rand(len + 1)
      const b = Math.min(len, a + rand(4))
      const tr = state.update({ changes: { from: a, to: b, insert: pieces[rand(pieces.length)] } })
      mirror = applySplices(mirror, changesToSplices(tr.changes))
      state = tr.state
      expect(mirror).toBe(state.doc.toString())
    }
  })
})
