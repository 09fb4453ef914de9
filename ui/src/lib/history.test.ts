import { describe, expect, it } from 'vitest'
import type { FieldChange, HistoryEntry } from './bindings'
import { diffRows, entryWhat, entryWho, shortPoint, trimSame } from './history'

const entry = (over: Partial<HistoryEntry> = {}): HistoryEntry => ({
  point: 'a'.repeat(64),
  before: 'b'.repeat(64),
  changes: 25,
  author: 'm1',
  author_name: 'Bea',
  device: '3fa2c1e4',
  this_device: false,
  started_at: '2026-11-30T16:40:00+01:00',
  ended_at: '2026-11-30T17:00:00+01:00',
  created: false,
  restored_from: null,
  summary: { fields: ['body', 'review_by'], words_added: 12, words_removed: 3 },
  ...over,
})

describe('history', () => {
  it('words an entry: fields and words, creation, restore', () => {
    expect(entryWhat(entry())).toBe('body, review by · +12 −3 words')
    expect(entryWhat(entry({ created: true }))).toBe('created')
    expect(entryWhat(entry({ restored_from: `${'c'.repeat(64)},${'d'.repeat(64)}` }))).toBe(
      'restored cccccccccc,dddddddddd',
    )
    expect(entryWhat(entry({ summary: { fields: [], words_added: 0, words_removed: 0 } }))).toBe('no visible change')
  })

  it('says who, from which device and when on the wall clock the engine sent', () => {
    expect(entryWho(entry())).toBe('Bea on device 3fa2c1e4 · Mon 30 Nov 17:00 · 25 changes')
    expect(entryWho(entry({ this_device: true, changes: 1, ended_at: null, started_at: null }))).toBe(
      'Bea on this device · time unknown · 1 change',
    )
  })

  it('shortens points head by head', () => {
    expect(shortPoint('0123456789abcdef,fedcba9876543210')).toBe('0123456789,fedcba9876')
  })

  it('turns field changes into rows and shortens long unchanged text', () => {
    const long = 'word '.repeat(100)
    const changes: FieldChange[] = [
      {
        field: 'body',
        change: {
          type: 'text',
          diff: {
            added: 1,
            removed: 0,
            hunks: [
              { op: 'same', text: long },
              { op: 'added', text: 'new ' },
              { op: 'same', text: long },
            ],
          },
        },
      },
      { field: 'status', change: { type: 'value', old: 'proposed', new: 'accepted' } },
      { field: 'feedback', change: { type: 'items', added: ['Backups?'], removed: [], changed: ['Fine'] } },
    ]
    const rows = diffRows(changes)
    expect(rows[0]).toMatchObject({ type: 'text', field: 'body', words: '+1 −0 words' })
    if (rows[0].type !== 'text') throw new Error('text')
    expect(rows[0].hunks[0]).toEqual({ op: 'same', text: `…${long.slice(-60)}` })
    expect(rows[0].hunks[2]).toEqual({ op: 'same', text: `${long.slice(0, 60)}…` })
    expect(rows[1]).toEqual({ type: 'value', field: 'status', old: 'proposed', new: 'accepted' })
    expect(rows[2]).toEqual({
      type: 'items',
      field: 'feedback',
      lines: [
        { sign: '+', text: 'Backups?' },
        { sign: '~', text: 'Fine' },
      ],
    })
    expect(trimSame([{ op: 'same', text: 'short' }])).toEqual([{ op: 'same', text: 'short' }])
  })
})
