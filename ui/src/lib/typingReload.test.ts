// Issue 18: while a page is being typed into, its keystroke changes (held back by
// `Touches`) do not reload live views on every key; they reload once typing pauses.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Event } from './bindings'

const handlers = vi.hoisted(() => new Map<string, Set<(msg: { payload: unknown }) => void>>())
vi.mock('@tauri-apps/api/event', () => ({
  listen: async (name: string, handler: (msg: { payload: unknown }) => void) => {
    if (!handlers.has(name)) handlers.set(name, new Set())
    handlers.get(name)!.add(handler)
    return () => handlers.get(name)!.delete(handler)
  },
}))
vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }))

import { DEBOUNCE_MS, LiveLoader, TYPING_DEBOUNCE_MS } from './liveLoader'
import { Touches } from './touches'

const key = (i: number): Event => ({
  type: 'object_changed',
  summary: {
    id: 'page-1',
    kind: 'page',
    title: 'Notes',
    status: null,
    updated_at: `2026-12-01T00:00:${String(i).padStart(2, '0')}.000Z`,
    trashed: false,
  },
})

function emit(e: Event) {
  for (const h of handlers.get('workspace-event') ?? []) h({ payload: e })
}

beforeEach(() => {
  vi.useFakeTimers()
  handlers.clear()
})
afterEach(() => vi.useRealTimers())

describe('typing and live views', () => {
  it('reloads an unfiltered view once after typing pauses, not per key', async () => {
    const load = vi.fn(async () => 1)
    const loader = new LiveLoader(load, {}, { value: () => {}, error: () => {}, loading: () => {} })
    const stop = loader.listen()
    await Promise.resolve()
    // The objects store holds keystrokes back (as App does, before views hear the event).
    const touches = new Touches(() => {}, 1000, 60_000)
    for (let i = 0; i < 30; i++) {
      const e = key(i)
      touches.hold(e)
      emit(e)
      await vi.advanceTimersByTimeAsync(200) // slower than the 120 ms debounce
    }
    expect(load).toHaveBeenCalledTimes(0)
    await vi.advanceTimersByTimeAsync(TYPING_DEBOUNCE_MS)
    expect(load).toHaveBeenCalledTimes(1)

    // Typing over (released): a change of the page reloads at the usual pace again.
    touches.release()
    emit({ ...key(40), summary: { ...key(40).summary, title: 'Renamed' } })
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS)
    expect(load).toHaveBeenCalledTimes(2)
    stop()
  })
})
