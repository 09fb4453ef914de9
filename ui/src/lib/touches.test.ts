import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Event, ObjectSummary } from './bindings'
import { isTouch, Touches } from './touches'

const row = (id: string, updated_at = '2026-11-24T09:00:00.000Z', title = `Page ${id}`): ObjectSummary => ({
  id,
  kind: 'page',
  title,
  status: null,
  updated_at,
  trashed: false,
})
const changed = (s: ObjectSummary): Event => ({ type: 'object_changed', summary: s })

describe('touches', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('tells a keystroke (only updated_at moved) from a change the lists show', () => {
    const live = [row('a'), row('b')]
    expect(isTouch(changed(row('a', '2026-11-24T09:00:01.000Z')), live)).toBe(true)
    expect(isTouch(changed(row('a', '2026-11-24T09:00:01.000Z', 'Renamed')), live)).toBe(false)
    expect(isTouch(changed(row('c')), live)).toBe(false)
    expect(isTouch({ type: 'object_created', summary: row('a') }, live)).toBe(false)
  })

  it('applies a burst of touches once, after the pause, newest per object', () => {
    const applied: Event[][] = []
    const t = new Touches((e) => applied.push(e), 1000, 5000)
    for (let i = 0; i < 60; i++) {
      t.hold(changed(row('a', `2026-11-24T09:00:${String(i).padStart(2, '0')}.000Z`)), i * 100)
      vi.advanceTimersByTime(100)
    }
    expect(applied).toHaveLength(1) // the 5 s bound released once while typing went on
    vi.advanceTimersByTime(1000)
    expect(applied).toHaveLength(2)
    expect(applied[1]).toHaveLength(1)
    expect(applied[1][0].summary.updated_at).toBe('2026-11-24T09:00:59.000Z')
  })

  it('releases what it holds on demand, keeping one event per object', () => {
    const applied: Event[][] = []
    const t = new Touches((e) => applied.push(e))
    t.hold(changed(row('a')))
    t.hold(changed(row('b')))
    t.hold(changed(row('a', '2026-11-24T09:00:05.000Z')))
    t.release()
    expect(applied[0].map((e) => e.summary.id)).toEqual(['b', 'a'])
    expect(t.size).toBe(0)
  })
})
