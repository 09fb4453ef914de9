import { describe, expect, it } from 'vitest'
import { clockTime, formatInZone, formatWallClock, fromNow, minuteLabel, wallClock } from './time'

describe('time formatting', () => {
  it('reads the wall clock written in the string, not the browser zone', () => {
    expect(formatWallClock('2026-11-30T17:00:00+11:00')).toBe('Mon 30 Nov 17:00')
    expect(formatWallClock('2026-11-30T06:00:00Z', true)).toBe('Mon 30 Nov 06:00 (UTC)')
    expect(clockTime('2026-12-01T08:15:00+05:45')).toBe('08:15')
    expect(wallClock('not a time')).toBeNull()
  })
  it('says how far away an instant is', () => {
    const now = Date.parse('2026-11-30T00:00:00Z')
    expect(fromNow('2026-11-30T03:00:00Z', now)).toBe('in 3 h')
    expect(fromNow('2026-11-29T23:30:00Z', now)).toBe('30 min ago')
    expect(fromNow('2026-12-05T00:00:00Z', now)).toBe('in 5 d')
  })
  it('labels minutes of the day', () => {
    expect(minuteLabel(0)).toBe('00:00')
    expect(minuteLabel(1440)).toBe('24:00')
    expect(minuteLabel(525)).toBe('08:45')
  })
})

describe('formatInZone', () => {
  it('shows a UTC instant on another zone’s clock', () => {
    expect(formatInZone('2026-11-30T06:00:00Z', 'Australia/Sydney')).toBe('Mon 30 Nov 17:00')
    expect(formatInZone('2026-11-30T06:00:00Z', 'Asia/Kathmandu')).toBe('Mon 30 Nov 11:45')
    expect(formatInZone('2026-11-30T06:00:00Z', 'Not/AZone')).toBe('2026-11-30T06:00:00Z')
  })
})
