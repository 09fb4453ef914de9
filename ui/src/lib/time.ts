// Showing instants the engine computed. The engine sends UTC instants (`…Z`) and, where a
// person's own clock matters, the same instant with that person's offset (`…+11:00`).
// These helpers only format; they never compute working time (that is the engine's job).

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTH = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** The wall-clock fields written in an RFC 3339 string, without converting it. */
export function wallClock(rfc3339: string): { date: string; time: string; offset: string; weekday: string } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(rfc3339)
  if (!m) return null
  const [, y, mo, d, h, mi, off] = m
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))).getUTCDay()
  return {
    date: `${Number(d)} ${MONTH[Number(mo) - 1]}`,
    time: `${h}:${mi}`,
    offset: off === 'Z' ? 'UTC' : off,
    weekday: WEEKDAY[day],
  }
}

/** `2026-11-30T17:00:00+11:00` → `Mon 30 Nov 17:00`. */
export function formatWallClock(rfc3339: string | null | undefined, withOffset = false): string {
  if (!rfc3339) return ''
  const w = wallClock(rfc3339)
  if (!w) return rfc3339
  return `${w.weekday} ${w.date} ${w.time}${withOffset ? ` (${w.offset})` : ''}`
}

/** `HH:MM` of an RFC 3339 string's wall clock. */
export function clockTime(rfc3339: string | null | undefined): string {
  return (rfc3339 && wallClock(rfc3339)?.time) || ''
}

/** How far `instant` is from `now`, e.g. `in 3 h`, `2 d ago`. */
export function fromNow(instant: string | null | undefined, now: number = Date.now()): string {
  if (!instant) return ''
  const t = Date.parse(instant)
  if (Number.isNaN(t)) return ''
  const diff = t - now
  const abs = Math.abs(diff)
  const minutes = Math.round(abs / 60000)
  const text =
    minutes < 1
      ? 'now'
      : minutes < 60
        ? `${minutes} min`
        : minutes < 48 * 60
          ? `${Math.round(minutes / 60)} h`
          : `${Math.round(minutes / 1440)} d`
  if (text === 'now') return 'now'
  return diff >= 0 ? `in ${text}` : `${text} ago`
}

/** Minutes of the day → `HH:MM` (1440 → `24:00`). */
export function minuteLabel(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
}

/** A UTC instant on the clock of IANA zone `tz`, e.g. `Mon 30 Nov 17:00`. */
export function formatInZone(utc: string | null | undefined, tz: string): string {
  if (!utc) return ''
  const t = new Date(utc)
  if (Number.isNaN(t.getTime())) return utc
  try {
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(t)
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
    return `${get('weekday')} ${get('day')} ${get('month')} ${get('hour')}:${get('minute')}`
  } catch {
    return utc
  }
}
