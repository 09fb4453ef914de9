import { describe, expect, it } from 'vitest'
import {
  atOffset,
  barLabel,
  barSegments,
  dayLabel,
  focusBlockLabel,
  nowPercent,
  offsetMinutes,
  offsetOf,
  onMemberClock,
  stateLabel,
  weekdaysLabel,
} from './teamBars'

describe('24-hour bar geometry', () => {
  it('places minutes of the day as percentages', () => {
    expect(barSegments([[540, 1020]])).toEqual([{ start: 540, end: 1020, left: 37.5, width: 33.3333 }])
    expect(barSegments([[0, 1440]])).toEqual([{ start: 0, end: 1440, left: 0, width: 100 }])
  })
  it('sorts, clamps and drops empty or backwards spans', () => {
    const s = barSegments([
      [780, 1020],
      [480, 720],
      [600, 600],
      [900, 800],
      [-30, 60],
      [1400, 1500],
    ])
    expect(s.map((x) => [x.start, x.end])).toEqual([
      [0, 60],
      [480, 720],
      [780, 1020],
      [1400, 1440],
    ])
  })
  it('puts the now marker on the bar', () => {
    expect(nowPercent(720)).toBe(50)
    expect(nowPercent(-5)).toBe(0)
    expect(nowPercent(2000)).toBe(100)
    expect(nowPercent(Number.NaN)).toBe(0)
  })
  it('describes the bar in words', () => {
    expect(barLabel([[540, 1020]], [[540, 660]], 623)).toBe(
      'Working hours today 09:00–17:00; focus 09:00–11:00; now 10:23',
    )
    expect(barLabel([], [], 0)).toBe('No working hours today; now 00:00')
    expect(
      barLabel(
        [
          [480, 720],
          [780, 1440],
        ],
        [],
        800,
      ),
    ).toBe('Working hours today 08:00–12:00, 13:00–24:00; now 13:20')
  })
})

describe('member clocks', () => {
  it('reads offsets', () => {
    expect(offsetMinutes('Z')).toBe(0)
    expect(offsetMinutes('+05:45')).toBe(345)
    expect(offsetMinutes('-03:30')).toBe(-210)
    expect(offsetMinutes('+13:45')).toBe(825)
    expect(offsetMinutes('soon')).toBeNull()
    expect(offsetOf('2026-11-30T17:00:00+11:00')).toBe('+11:00')
    expect(offsetOf('2026-11-30T06:00:00Z')).toBe('Z')
    expect(offsetOf('nonsense')).toBeNull()
  })
  it('writes a UTC instant on another clock', () => {
    expect(atOffset('2026-11-30T06:00:00Z', '+11:00')).toBe('2026-11-30T17:00:00+11:00')
    expect(atOffset('2026-11-30T20:00:00Z', '+05:45')).toBe('2026-12-01T01:45:00+05:45')
    expect(atOffset('2026-11-30T02:00:00Z', '-03:30')).toBe('2026-11-29T22:30:00-03:30')
    expect(atOffset('2026-11-30T02:00:00Z', 'Z')).toBe('2026-11-30T02:00:00Z')
    expect(atOffset('not a time', '+01:00')).toBeNull()
    expect(onMemberClock({ local: '2026-11-30T15:10:00+13:45', offset: '+13:45' }, '2026-11-30T03:15:00Z')).toBe(
      '2026-11-30T17:00:00+13:45',
    )
  })
})

describe('state labels', () => {
  const base = { local: '2026-11-30T10:23:00+01:00', offset: '+01:00', until: null, next_reachable_local: null }
  it('says until when, on the member clock', () => {
    expect(stateLabel({ ...base, state: 'working', until: '2026-11-30T16:00:00Z' })).toBe('Working until 17:00')
    expect(stateLabel({ ...base, state: 'focusing', until: '2026-11-30T10:00:00Z' })).toBe('Focusing until 11:00')
    expect(stateLabel({ ...base, state: 'working', until: '2026-12-01T00:30:00Z' })).toBe('Working until Tue 01:30')
    expect(stateLabel({ ...base, state: 'working' })).toBe('Working')
  })
  it('says when they are back', () => {
    expect(stateLabel({ ...base, state: 'off', next_reachable_local: '2026-12-01T09:00:00+01:00' })).toBe(
      'Off · back Tue 09:00',
    )
    expect(stateLabel({ ...base, state: 'off' })).toBe('Off')
    expect(stateLabel({ ...base, state: 'out-of-office' })).toBe('Out of office')
    expect(stateLabel({ ...base, state: 'out-of-office', next_reachable_local: '2026-12-07T09:00:00+01:00' })).toBe(
      'Out of office · back Mon 7 Dec 09:00',
    )
    expect(stateLabel({ ...base, state: 'out-of-office', next_reachable_local: '2026-12-03T09:00:00+01:00' })).toBe(
      'Out of office · back Thu 09:00',
    )
  })
})

describe('settings labels', () => {
  it('names weekday runs', () => {
    expect(weekdaysLabel([0, 1, 2, 3, 4])).toBe('Mon–Fri')
    expect(weekdaysLabel([0, 2, 4])).toBe('Mon, Wed, Fri')
    expect(weekdaysLabel([5, 0, 1, 2, 6])).toBe('Mon–Wed, Sat, Sun')
    expect(weekdaysLabel([])).toBe('')
  })
  it('names days and focus blocks', () => {
    expect(dayLabel('2026-12-24')).toBe('Thu 24 Dec 2026')
    expect(dayLabel('someday')).toBe('someday')
    expect(focusBlockLabel({ id: 'a1', weekdays: [0, 1, 2, 3, 4], date: null, start: '09:00', end: '11:00' })).toBe(
      'Mon–Fri 09:00–11:00',
    )
    expect(focusBlockLabel({ id: 'b2', weekdays: [], date: '2026-12-24', start: '14:00', end: '16:00' })).toBe(
      'Thu 24 Dec 2026 14:00–16:00',
    )
  })
})
