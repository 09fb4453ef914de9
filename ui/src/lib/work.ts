// Meetings, tasks and check-ins: the small pure pieces their views share — task groups
// for the virtual list, due-date wording, pre-reads, check-in states. The engine computes
// every date and bucket in each person's zone; these only arrange and word what it sent.

import type { CheckinCard, DueBucket, Kind, ObjectSummary, TaskRow } from './bindings'
import { dayLabel } from './teamBars'

export const BUCKETS: readonly DueBucket[] = ['overdue', 'today', 'this-week', 'later', 'no-date', 'done']

export function bucketLabel(b: DueBucket): string {
  switch (b) {
    case 'overdue':
      return 'Overdue'
    case 'today':
      return 'Today'
    case 'this-week':
      return 'This week'
    case 'later':
      return 'Later'
    case 'no-date':
      return 'No date'
    case 'done':
      return 'Done or dropped'
  }
}

/** A row of the task list: a group heading or a task. */
export type TaskEntry =
  { type: 'group'; key: string; bucket: DueBucket; count: number } | { type: 'task'; key: string; row: TaskRow }

/** The engine's rows (already in group order) with a heading before each group. */
export function taskEntries(rows: readonly TaskRow[], showFinished: boolean): TaskEntry[] {
  const out: TaskEntry[] = []
  const counts = new Map<DueBucket, number>()
  for (const r of rows) counts.set(r.bucket, (counts.get(r.bucket) ?? 0) + 1)
  let current: DueBucket | null = null
  for (const row of rows) {
    if (row.bucket === 'done' && !showFinished) continue
    if (row.bucket !== current) {
      current = row.bucket
      out.push({ type: 'group', key: `group-${row.bucket}`, bucket: row.bucket, count: counts.get(row.bucket) ?? 0 })
    }
    out.push({ type: 'task', key: row.id, row })
  }
  return out
}

/** How a task's date reads on its owner's calendar: `overdue by 2 days`, `due today`. */
export function dueText(row: Pick<TaskRow, 'due' | 'days_left' | 'bucket'>): string {
  if (!row.due || row.days_left === null) return 'no due date'
  const d = row.days_left
  if (row.bucket === 'done') return `was due ${dayLabel(row.due)}`
  if (d < 0) return `overdue by ${-d} day${d === -1 ? '' : 's'}`
  if (d === 0) return 'due today'
  if (d === 1) return 'due tomorrow'
  if (d < 14) return `due in ${d} days`
  return `due ${dayLabel(row.due)}`
}

/** What a pre-read points at, for showing it. */
export type PreReadView =
  { type: 'object'; id: string; title: string; kind: Kind | null } | { type: 'url'; url: string }

export function preReadView(value: string, objects: readonly ObjectSummary[]): PreReadView {
  if (/^[0-9a-f]{32}$/.test(value)) {
    const o = objects.find((x) => x.id === value)
    return { type: 'object', id: value, title: o?.title || 'An object not on this device (yet)', kind: o?.kind ?? null }
  }
  return { type: 'url', url: value }
}

/**
 * What the user typed as a pre-read → what the engine stores: an object chosen by its
 * exact title (case-insensitive) or id, or an http(s) link. `null` with a reason otherwise.
 */
export function resolvePreRead(
  text: string,
  objects: readonly ObjectSummary[],
): { value: string; error: null } | { value: null; error: string } {
  const t = text.trim()
  if (!t) return { value: null, error: 'Type a title or paste a link first.' }
  if (/^https?:\/\/\S+$/i.test(t)) return { value: t, error: null }
  if (/^[0-9a-f]{32}$/.test(t)) return { value: t, error: null }
  const matches = objects.filter((o) => o.kind !== 'member' && o.title.trim().toLowerCase() === t.toLowerCase())
  if (matches.length >= 1) return { value: matches[0].id, error: null }
  return {
    value: null,
    error: `No page, decision, thread or meeting is called “${t}”. Pick one from the suggestions, or paste a link starting with https://.`,
  }
}

/** The one-line state of a check-in for me. */
export function checkinState(c: Pick<CheckinCard, 'participant' | 'due' | 'my_answers' | 'asks_today'>): {
  key: 'due' | 'answered' | 'later-today' | 'not-today' | 'not-in-it'
  label: string
} {
  if (!c.participant) return { key: 'not-in-it', label: 'You are not in it' }
  if (c.due) return { key: 'due', label: 'Due now' }
  if (c.my_answers) return { key: 'answered', label: 'Answered today' }
  if (c.asks_today) return { key: 'later-today', label: 'Asks later today' }
  return { key: 'not-today', label: 'Nothing today' }
}

/** `YYYY-MM-DD` plus `days` (calendar arithmetic, no time zones involved). */
export function addDays(date: string, days: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return date
  const t = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days))
  return t.toISOString().slice(0, 10)
}

/** Minutes of an agenda: those still needing meeting time, and all. */
export function agendaMinutes(items: readonly { minutes: number; resolved_async: boolean }[]): {
  open: number
  total: number
} {
  let open = 0
  let total = 0
  for (const i of items) {
    total += i.minutes
    if (!i.resolved_async) open += i.minutes
  }
  return { open, total }
}
