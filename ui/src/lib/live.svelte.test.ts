// The runes wrapper of the live-data layer, in Svelte's client build (the `runes` test
// project): reading `current` inside an effect starts the first load and the listeners,
// engine events and a resync reload, state the load reads reloads it, and when the last
// reader goes the listeners go too.

import { flushSync } from 'svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'

const handlers = vi.hoisted(() => new Map<string, Set<(msg: { payload: unknown }) => void>>())

vi.mock('@tauri-apps/api/event', () => ({
  listen: async (name: string, handler: (msg: { payload: unknown }) => void) => {
    if (!handlers.has(name)) handlers.set(name, new Set())
    handlers.get(name)!.add(handler)
    return () => handlers.get(name)!.delete(handler)
  },
}))
vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }))

import { DEBOUNCE_MS } from './liveLoader'
import { resource } from './live.svelte'

function emit(name: string, payload: unknown) {
  for (const h of handlers.get(name) ?? []) h({ payload })
}

const listeners = () => [...handlers.values()].reduce((n, s) => n + s.size, 0)

/** Lets timers, promises and effects run. */
async function settle(ms = 0) {
  await vi.advanceTimersByTimeAsync(ms)
  flushSync()
  await vi.advanceTimersByTimeAsync(0)
}

afterEach(() => {
  vi.useRealTimers()
  handlers.clear()
})

describe('resource (runes)', () => {
  it('loads while read, follows events, resync and its own inputs, and stops with its last reader', async () => {
    vi.useFakeTimers()
    let filter = $state('a')
    const loads: string[] = []
    const r = resource(
      async () => {
        loads.push(filter)
        return `${filter}:${loads.length}`
      },
      { kinds: ['page'] },
    )
    expect(loads).toEqual([]) // nothing before someone reads it

    let seen: string | undefined
    const stop = $effect.root(() => {
      $effect(() => {
        seen = r.current
      })
    })
    await settle()
    expect(loads).toEqual(['a'])
    expect(seen).toBe('a:1')
    expect(listeners()).toBeGreaterThan(0)

    emit('workspace-event', {
      type: 'object_changed',
      summary: { id: 'p1', kind: 'page', title: '', status: null, updated_at: '', trashed: false },
    })
    await settle(DEBOUNCE_MS + 10)
    expect(loads).toEqual(['a', 'a'])
    expect(seen).toBe('a:2')

    emit('workspace-resync', 3)
    await settle(DEBOUNCE_MS + 10)
    expect(loads.length).toBe(3)

    filter = 'b' // state the load read: it loads again
    await settle(DEBOUNCE_MS + 10)
    expect(loads.at(-1)).toBe('b')
    expect(seen).toBe(`b:${loads.length}`)

    stop()
    await settle()
    expect(listeners()).toBe(0)
  })
})
