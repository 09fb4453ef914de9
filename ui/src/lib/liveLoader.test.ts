// The live-data logic against a fake Tauri: `listen` records handlers so a test can emit
// engine events, and `invoke` answers as the test says. The runes wrapper (live.svelte.ts)
// only forwards to this; live.svelte.test.ts checks it in Svelte's client build.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Event, Kind } from './bindings'

const handlers = vi.hoisted(() => new Map<string, Set<(msg: { payload: unknown }) => void>>())
const invoke = vi.hoisted(() => vi.fn())

vi.mock('@tauri-apps/api/event', () => ({
  listen: async (name: string, handler: (msg: { payload: unknown }) => void) => {
    if (!handlers.has(name)) handlers.set(name, new Set())
    handlers.get(name)!.add(handler)
    return () => handlers.get(name)!.delete(handler)
  },
}))
vi.mock('@tauri-apps/api/core', () => ({ invoke }))

import { api } from './api'
import { action } from './live.svelte'
import { DEBOUNCE_MS, LiveLoader, type LiveOptions } from './liveLoader'

function emit(name: string, payload: unknown) {
  for (const h of handlers.get(name) ?? []) h({ payload })
}

function changed(kind: Kind, id = `${kind}-1`): Event {
  return {
    type: 'object_changed',
    summary: { id, kind, title: '', status: null, updated_at: '2026-12-01T00:00:00Z', trashed: false } as never,
  }
}

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}

let stops: (() => void)[] = []

/** What a loader showed, as the runes wrapper would keep it. */
interface Shown<T> {
  current?: T
  error: string | null
  loading: boolean
}

/** A loader that is listening, as while a component reads it, after its first load. */
function resource<T>(load: () => Promise<T>, options: LiveOptions = {}): LiveLoader<T> & { shown: Shown<T> } {
  const shown: Shown<T> = { error: null, loading: false }
  const loader = new LiveLoader(load, options, {
    value: (v) => (shown.current = v),
    error: (m) => (shown.error = m),
    loading: (on) => (shown.loading = on),
  })
  stops.push(loader.listen())
  void loader.refresh()
  return Object.assign(loader, { shown })
}

/** Lets pending promise callbacks (and the async `listen`) run. */
async function settle() {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

beforeEach(() => {
  vi.useFakeTimers()
  handlers.clear()
  invoke.mockReset()
})

afterEach(() => {
  stops.forEach((s) => s())
  stops = []
  vi.useRealTimers()
})

describe('live loader', () => {
  it('shows the first load', async () => {
    const r = resource(async () => 1)
    expect(r.shown.loading).toBe(true)
    await settle()
    expect(r.shown).toEqual({ current: 1, error: null, loading: false })
  })

  it('reloads on an event of its kind, through the IPC client', async () => {
    let n = 0
    invoke.mockImplementation(async () => [{ id: `m${++n}` }])
    const members = resource(() => api.members(), { kinds: ['member'] })
    await settle()
    expect(invoke.mock.calls[0][0]).toBe('members')
    expect(members.shown.current).toEqual([{ id: 'm1' }])

    emit('workspace-event', changed('member'))
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS)
    await settle()
    expect(invoke).toHaveBeenCalledTimes(2)
    expect(members.shown.current).toEqual([{ id: 'm2' }])
  })

  it('ignores events of other kinds and other objects', async () => {
    const load = vi.fn(async () => 'x')
    resource(load, { kinds: ['task'], id: () => 'meeting-7' })
    await settle()
    emit('workspace-event', changed('page'))
    emit('workspace-event', changed('meeting', 'meeting-8'))
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS * 3)
    expect(load).toHaveBeenCalledTimes(1)

    emit('workspace-event', changed('meeting', 'meeting-7'))
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS)
    expect(load).toHaveBeenCalledTimes(2)
    emit('workspace-event', changed('task', 'task-3'))
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS)
    expect(load).toHaveBeenCalledTimes(3)
  })

  it('follows an id that changes', async () => {
    let id = 'thread-1'
    const load = vi.fn(async () => 'x')
    resource(load, { id: () => id })
    await settle()
    id = 'thread-2'
    emit('workspace-event', changed('thread', 'thread-1'))
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS)
    expect(load).toHaveBeenCalledTimes(1)
    emit('workspace-event', changed('thread', 'thread-2'))
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS)
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('reloads on a resync whatever its filter', async () => {
    const load = vi.fn(async () => 'x')
    resource(load, { id: () => 'page-1' })
    await settle()
    emit('workspace-resync', 3)
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS)
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('turns a burst of events into one load', async () => {
    const load = vi.fn(async () => 'x')
    resource(load, { kinds: ['task'] })
    await settle()
    for (let i = 0; i < 20; i++) {
      emit('workspace-event', changed('task', `task-${i}`))
      await vi.advanceTimersByTimeAsync(DEBOUNCE_MS / 4)
    }
    emit('workspace-resync', 1)
    expect(load).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS)
    expect(load).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS * 10)
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('drops the answer to an outdated request', async () => {
    const answers = [deferred<string>(), deferred<string>()]
    let call = 0
    const r = resource(() => answers[call++].promise, { kinds: ['task'] })
    emit('workspace-event', changed('task'))
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS)
    expect(call).toBe(2)

    answers[1].resolve('new')
    await settle()
    expect(r.shown.current).toBe('new')
    answers[0].resolve('old')
    await settle()
    expect(r.shown.current).toBe('new')
    expect(r.shown.loading).toBe(false)
  })

  it('drops a failure of an outdated request, and keeps the last value on a failure', async () => {
    const answers = [deferred<string>(), deferred<string>(), deferred<string>()]
    let call = 0
    const r = resource(() => answers[call++].promise)
    void r.refresh()
    answers[1].resolve('shown')
    answers[0].reject(new Error('too late'))
    await settle()
    expect(r.shown.current).toBe('shown')
    expect(r.shown.error).toBeNull()

    void r.refresh()
    answers[2].reject({ kind: 'storage', detail: 'disk full' })
    await settle()
    expect(r.shown).toEqual({ current: 'shown', error: 'disk full', loading: false })
  })

  it('lets a value set by a command win over a load under way, then loads again', async () => {
    const answers = [deferred<string>(), deferred<string>()]
    let call = 0
    const r = resource(() => answers[call++].promise)
    r.set('from the command')
    answers[0].resolve('from before the command')
    await settle()
    expect(r.shown.current).toBe('from the command')
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS)
    expect(call).toBe(2)
    answers[1].resolve('after the command')
    await settle()
    expect(r.shown.current).toBe('after the command')

    r.set('nothing under way')
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS * 3)
    expect(call).toBe(2)
  })

  it('stops listening when told to', async () => {
    const load = vi.fn(async () => 'x')
    const loader = new LiveLoader(load, { every: 1000 }, { value() {}, error() {}, loading() {} })
    const stop = loader.listen()
    await settle()
    expect(handlers.get('workspace-event')?.size).toBe(1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(load).toHaveBeenCalledTimes(1)
    emit('workspace-resync', 1)
    stop()
    await settle()
    expect(handlers.get('workspace-event')?.size).toBe(0)
    expect(handlers.get('workspace-resync')?.size).toBe(0)
    await vi.advanceTimersByTimeAsync(5000)
    expect(load).toHaveBeenCalledTimes(1)
  })
})

describe('action', () => {
  it('runs one at a time and keeps the error', async () => {
    const gate = deferred<void>()
    const fn = vi.fn(() => gate.promise)
    const a = action(fn)
    const first = a.run()
    expect(a.busy).toBe(true)
    expect(await a.run()).toBe(false)
    gate.resolve()
    expect(await first).toBe(true)
    expect(fn).toHaveBeenCalledTimes(1)
    expect(a.busy).toBe(false)

    const failing = action(async () => {
      throw { kind: 'invalid', detail: 'hours overlap' }
    })
    expect(await failing.run()).toBe(false)
    expect(failing.error).toBe('hours overlap')
    expect(await failing.run()).toBe(false)
  })
})
