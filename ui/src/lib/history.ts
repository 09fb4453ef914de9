// What the History panel shows, as plain functions: one line per timeline entry, short
// point ids, and the fields of a diff as readable rows. The engine groups changes and
// computes the diffs; this only words them.

import type { FieldChange, HistoryEntry, Hunk } from './bindings'
import { formatWallClock } from './time'

/** A point as people read it: each head's first 10 hex digits. */
export function shortPoint(point: string): string {
  return point
    .split(',')
    .map((h) => h.slice(0, 10))
    .join(',')
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** What an entry did, in a few words: `created`, `restored 3fa2c1e4d0`, `body, tags · +12 −3 words`. */
export function entryWhat(e: HistoryEntry): string {
  if (e.created) return 'created'
  if (e.restored_from) return `restored ${shortPoint(e.restored_from)}`
  const fields = e.summary.fields.length ? e.summary.fields.map(fieldLabel).join(', ') : 'no visible change'
  const words =
    e.summary.words_added + e.summary.words_removed > 0
      ? ` · +${e.summary.words_added} −${e.summary.words_removed} words`
      : ''
  return fields + words
}

/** Who, from where and when: `Bea on device 3fa2c1e4 · Mon 30 Nov 17:00 · 25 changes`. */
export function entryWho(e: HistoryEntry): string {
  const device = e.this_device ? 'this device' : `device ${e.device}`
  const when = formatWallClock(e.ended_at ?? e.started_at) || 'time unknown'
  return `${e.author_name} on ${device} · ${when} · ${plural(e.changes, 'change')}`
}

/** A field name as a reader sees it: `chosen_option` → `chosen option`. */
export function fieldLabel(field: string): string {
  return field.replace(/_/g, ' ')
}

/** One row of a diff, for the panel. */
export type DiffRow =
  | { type: 'text'; field: string; words: string; hunks: Hunk[] }
  | { type: 'value'; field: string; old: string; new: string }
  | { type: 'items'; field: string; lines: { sign: '+' | '−' | '~'; text: string }[] }

export function diffRows(changes: FieldChange[]): DiffRow[] {
  return changes.map((c) => {
    const field = fieldLabel(c.field)
    switch (c.change.type) {
      case 'text':
        return {
          type: 'text',
          field,
          words: `+${c.change.diff.added} −${c.change.diff.removed} words`,
          hunks: trimSame(c.change.diff.hunks),
        }
      case 'value':
        return { type: 'value', field, old: c.change.old, new: c.change.new }
      case 'items':
        return {
          type: 'items',
          field,
          lines: [
            ...c.change.added.map((text) => ({ sign: '+' as const, text })),
            ...c.change.removed.map((text) => ({ sign: '−' as const, text })),
            ...c.change.changed.map((text) => ({ sign: '~' as const, text })),
          ],
        }
    }
  })
}

/** Long unchanged runs shortened to their first and last words around an ellipsis, so a
 *  one-word edit of a long page shows as one line. */
export function trimSame(hunks: Hunk[], keep = 60): Hunk[] {
  return hunks.map((h, i) => {
    if (h.op !== 'same' || h.text.length <= keep * 2) return h
    const first = i === 0
    const last = i === hunks.length - 1
    const head = first ? '' : h.text.slice(0, keep)
    const tail = last ? '' : h.text.slice(-keep)
    return { op: 'same', text: `${head}…${tail}` }
  })
}
