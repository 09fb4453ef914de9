import { describe, expect, it } from 'vitest'
import type { ObjectSummary, TaskRow } from './bindings'
import { addDays, agendaMinutes, checkinState, dueText, preReadView, resolvePreRead, taskEntries } from './work'

function row(id: string, bucket: TaskRow['bucket'], days: number | null = null): TaskRow {
  return {
    id,
    title: id,
    state: bucket === 'done' ? 'done' : 'open',
    owner: null,
    owner_name: null,
    tz: 'UTC',
    due: days === null ? null : '2026-11-24',
    due_end: null,
    bucket,
    days_left: days,
    source: null,
    mine: false,
    created_at_ms: 0,
  }
}

const page: ObjectSummary = {
  id: '0123456789abcdef0123456789abcdef',
  kind: 'page',
  title: 'Relay spec',
  status: null,
  updated_at: '2026-11-24T09:00:00Z',
  trashed: false,
}

describe('task groups', () => {
  it('puts a heading with its count before each group, in the order given', () => {
    const e = taskEntries(
      [row('a', 'overdue', -1), row('b', 'overdue', -3), row('c', 'today', 0), row('d', 'no-date')],
      false,
    )
    expect(e.map((x) => (x.type === 'group' ? `#${x.bucket}:${x.count}` : x.key))).toEqual([
      '#overdue:2',
      'a',
      'b',
      '#today:1',
      'c',
      '#no-date:1',
      'd',
    ])
  })
  it('leaves finished tasks out unless asked', () => {
    const rows = [row('a', 'later', 9), row('z', 'done', -2)]
    expect(taskEntries(rows, false).map((x) => x.key)).toEqual(['group-later', 'a'])
    expect(taskEntries(rows, true).map((x) => x.key)).toEqual(['group-later', 'a', 'group-done', 'z'])
  })
})

describe('due dates in words', () => {
  it('counts days on the owner’s calendar', () => {
    expect(dueText(row('a', 'overdue', -1))).toBe('overdue by 1 day')
    expect(dueText(row('a', 'overdue', -4))).toBe('overdue by 4 days')
    expect(dueText(row('a', 'today', 0))).toBe('due today')
    expect(dueText(row('a', 'this-week', 1))).toBe('due tomorrow')
    expect(dueText(row('a', 'later', 12))).toBe('due in 12 days')
    expect(dueText(row('a', 'later', 40))).toBe('due Tue 24 Nov 2026')
    expect(dueText(row('a', 'no-date'))).toBe('no due date')
    expect(dueText(row('a', 'done', -3))).toBe('was due Tue 24 Nov 2026')
  })
})

describe('pre-reads', () => {
  it('finds objects by title or id and accepts web links', () => {
    expect(resolvePreRead(' relay SPEC ', [page])).toEqual({ value: page.id, error: null })
    expect(resolvePreRead(page.id, [])).toEqual({ value: page.id, error: null })
    expect(resolvePreRead('https://example.org/a', [])).toEqual({ value: 'https://example.org/a', error: null })
    expect(resolvePreRead('the wiki', [page]).error).toContain('https://')
    expect(resolvePreRead('  ', [page]).error).toContain('first')
  })
  it('shows objects by title and links as links', () => {
    expect(preReadView(page.id, [page])).toEqual({ type: 'object', id: page.id, title: 'Relay spec', kind: 'page' })
    expect(preReadView('https://x.org', [page])).toEqual({ type: 'url', url: 'https://x.org' })
    const unknown = preReadView('ffffffffffffffffffffffffffffffff', [page])
    expect(unknown.type === 'object' && unknown.kind).toBe(null)
  })
})

describe('check-ins and agendas', () => {
  it('words my state', () => {
    const c = { participant: true, due: false, my_answers: null, asks_today: true }
    expect(checkinState(c).key).toBe('later-today')
    expect(checkinState({ ...c, due: true }).label).toBe('Due now')
    expect(checkinState({ ...c, my_answers: ['x'] }).key).toBe('answered')
    expect(checkinState({ ...c, asks_today: false }).key).toBe('not-today')
    expect(checkinState({ ...c, participant: false }).key).toBe('not-in-it')
  })
  it('steps dates across months and years', () => {
    expect(addDays('2026-11-30', 1)).toBe('2026-12-01')
    expect(addDays('2027-01-01', -1)).toBe('2026-12-31')
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29')
  })
  it('counts the minutes still needing a meeting', () => {
    expect(
      agendaMinutes([
        { minutes: 15, resolved_async: false },
        { minutes: 10, resolved_async: true },
      ]),
    ).toEqual({ open: 15, total: 25 })
  })
})
