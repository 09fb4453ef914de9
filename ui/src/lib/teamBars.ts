// Pure helpers for the Team and My settings views: the geometry of the 24-hour bar and the
// wording of a member's state. They only place and format what the engine computed (minutes
// of the member's local day, UTC instants, offsets); they never compute working time.

import type { ClockRow, FocusBlock } from './bindings'
import { minuteLabel, wallClock } from './time'

export const DAY_MINUTES = 1440

/** One `[start, end)` span of the local day, placed on a 24-hour bar (percentages). */
export interface BarSegment {
  start: number
  end: number
  left: number
  width: number
}

const clampMinute = (m: number) => Math.min(DAY_MINUTES, Math.max(0, Math.round(m)))
const percent = (m: number) => Math.round((m / DAY_MINUTES) * 100 * 10000) / 10000

/** `[start, end)` minutes of the day → bar segments; empty or backwards spans are dropped. */
export function barSegments(spans: ReadonlyArray<readonly [number, number]>): BarSegment[] {
  const out: BarSegment[] = []
  for (const [a, b] of spans) {
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue
    const start = clampMinute(a)
    const end = clampMinute(b)
    if (end <= start) continue
    out.push({ start, end, left: percent(start), width: percent(end - start) })
  }
  return out.sort((x, y) => x.start - y.start)
}

/** Where the "now" marker sits on the bar, in percent. */
export function nowPercent(minute: number): number {
  return percent(clampMinute(Number.isFinite(minute) ? minute : 0))
}

/** `09:00–17:00, 18:00–19:00` for a list of spans. */
export function spansLabel(spans: ReadonlyArray<readonly [number, number]>): string {
  return barSegments(spans)
    .map((s) => `${minuteLabel(s.start)}–${minuteLabel(s.end)}`)
    .join(', ')
}

/** What the bar shows, for screen readers. */
export function barLabel(
  hours: ReadonlyArray<readonly [number, number]>,
  focus: ReadonlyArray<readonly [number, number]>,
  minuteNow: number,
): string {
  const work = spansLabel(hours)
  const deep = spansLabel(focus)
  const parts = [work ? `Working hours today ${work}` : 'No working hours today']
  if (deep) parts.push(`focus ${deep}`)
  parts.push(`now ${minuteLabel(clampMinute(minuteNow))}`)
  return parts.join('; ')
}

/** `Z` → 0, `+05:45` → 345, `-03:30` → -210; null if it is not an offset. */
export function offsetMinutes(offset: string): number | null {
  if (offset === 'Z' || offset === 'z') return 0
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(offset)
  if (!m) return null
  const v = Number(m[2]) * 60 + Number(m[3])
  return m[1] === '-' ? -v : v
}

/** The offset written at the end of an RFC 3339 string (`Z` or `±HH:MM`). */
export function offsetOf(rfc3339: string): string | null {
  const m = /(Z|z|[+-]\d{2}:\d{2})$/.exec(rfc3339)
  return m ? m[1].toUpperCase() : null
}

const pad = (n: number) => String(n).padStart(2, '0')

/**
 * The UTC instant `utc` written on a clock with `offset` (`+05:45`), as RFC 3339:
 * `2026-11-30T06:00:00Z` at `+11:00` → `2026-11-30T17:00:00+11:00`.
 */
export function atOffset(utc: string, offset: string): string | null {
  const t = Date.parse(utc)
  const off = offsetMinutes(offset)
  if (Number.isNaN(t) || off === null) return null
  const d = new Date(t + off * 60000)
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  return `${date}T${time}${off === 0 && offset.toUpperCase() === 'Z' ? 'Z' : normalOffset(off)}`
}

function normalOffset(off: number): string {
  const sign = off < 0 ? '-' : '+'
  const a = Math.abs(off)
  return `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`
}

/** `HH:MM` of `local`, with the weekday in front when it is not on the day of `today`. */
function shortOnDay(local: string, today: string): string {
  const w = wallClock(local)
  if (!w) return local
  const t = wallClock(today)
  return t && t.date === w.date ? w.time : `${w.weekday} ${w.time}`
}

/** `Tue 09:00` of an RFC 3339 string's wall clock; `Fri 25 Dec 09:00` when it is a week or
 * more after `today` (both read on their own wall clocks). */
function dayTime(local: string, today: string): string {
  const w = wallClock(local)
  if (!w) return local
  const days = (Date.parse(local.slice(0, 10)) - Date.parse(today.slice(0, 10))) / 86_400_000
  return days >= 6 ? `${w.weekday} ${w.date} ${w.time}` : `${w.weekday} ${w.time}`
}

/** The member's clock for an engine instant: `until` is UTC, shown at the offset of `row.local`. */
export function onMemberClock(row: Pick<ClockRow, 'local' | 'offset'>, utc: string): string | null {
  const offset = offsetOf(row.local) ?? row.offset
  return atOffset(utc, offset)
}

/**
 * The state badge's words, on the member's own clock: `Working until 17:00`,
 * `Focusing until 11:00`, `Off · back Tue 09:00`, `Out of office · back Mon 09:00`.
 */
export function stateLabel(
  row: Pick<ClockRow, 'state' | 'local' | 'offset' | 'until' | 'next_reachable_local'>,
): string {
  const until = row.until ? onMemberClock(row, row.until) : null
  const back = row.next_reachable_local ? ` · back ${dayTime(row.next_reachable_local, row.local)}` : ''
  switch (row.state) {
    case 'working':
      return until ? `Working until ${shortOnDay(until, row.local)}` : 'Working'
    case 'focusing':
      return until ? `Focusing until ${shortOnDay(until, row.local)}` : 'Focusing'
    case 'off':
      return `Off${back}`
    case 'out-of-office':
      return `Out of office${back}`
    default:
      return row.state ? row.state.charAt(0).toUpperCase() + row.state.slice(1) : 'Unknown'
  }
}

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

/** Weekdays (0 = Monday … 6 = Sunday) → `Mon–Fri`, `Mon, Wed, Fri`, `Mon–Wed, Sat`. */
export function weekdaysLabel(days: readonly number[]): string {
  const sorted = [...new Set(days)].filter((d) => d >= 0 && d <= 6).sort((a, b) => a - b)
  const runs: string[] = []
  let i = 0
  while (i < sorted.length) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++
    const len = j - i + 1
    if (len >= 3) runs.push(`${DAY_NAMES[sorted[i]]}–${DAY_NAMES[sorted[j]]}`)
    else for (let k = i; k <= j; k++) runs.push(DAY_NAMES[sorted[k]])
    i = j + 1
  }
  return runs.join(', ')
}

/** `2026-12-24` → `Thu 24 Dec 2026`; anything else is returned as written. */
export function dayLabel(date: string): string {
  const m = /^(\d{4})-\d{2}-\d{2}$/.exec(date.trim())
  if (!m) return date
  const w = wallClock(`${date.trim()}T00:00:00Z`)
  return w ? `${w.weekday} ${w.date} ${m[1]}` : date
}

/** A focus block in words: `Mon–Fri 09:00–11:00` or `Thu 24 Dec 2026 14:00–16:00`. */
export function focusBlockLabel(b: FocusBlock): string {
  const when = b.date ? dayLabel(b.date) : weekdaysLabel(b.weekdays) || 'No days'
  return `${when} ${b.start}–${b.end}`
}
