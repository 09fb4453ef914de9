// Live data from the engine: one helper instead of a listener block in every view.
//
// A `resource` loads something (a list, a view, one object) and keeps it current while
// something on screen reads it. It listens for the engine's `workspace-event` (only the
// kinds or the object it cares about) and for `workspace-resync`, which the shell sends
// when it dropped events, so no view stays stale after a resync. Bursts of events become
// one reload, and only the newest request may change what is shown (liveLoader.ts).
//
// Listening starts with the first reader and stops when the last one goes, as in
// svelte.dev's Persisted.svelte.ts (`createSubscriber`). The value is replaced whole on
// each load, so it lives in `$state.raw`.

import { createSubscriber } from 'svelte/reactivity'
import { errorMessage } from './api'
import { LiveLoader, type LiveOptions } from './liveLoader'

export type { LiveOptions } from './liveLoader'

export class Resource<T> {
  #current = $state.raw<T | undefined>(undefined)
  #error = $state<string | null>(null)
  #loading = $state(false)
  #loader: LiveLoader<T>
  #subscribe: () => void

  constructor(load: () => Promise<T>, options: LiveOptions = {}) {
    this.#loader = new LiveLoader(load, options, {
      value: (v) => (this.#current = v),
      error: (m) => (this.#error = m),
      loading: (on) => (this.#loading = on),
    })
    this.#subscribe = createSubscriber(() => {
      // The load runs in an effect of its own: reactive state that `load` reads before its
      // first `await` (a prop, a filter) reloads it when it changes, as a `$derived` would.
      const stopTracking = $effect.root(() => {
        $effect(() => {
          void this.#loader.refresh()
        })
      })
      const stopListening = this.#loader.listen()
      return () => {
        stopTracking()
        stopListening()
      }
    })
  }

  /** The last loaded value; undefined until the first load answers. */
  get current(): T | undefined {
    this.#subscribe()
    return this.#current
  }

  /** Why the newest load failed (the last good value stays in `current`). */
  get error(): string | null {
    this.#subscribe()
    return this.#error
  }

  /** Whether the newest load is under way. */
  get loading(): boolean {
    this.#subscribe()
    return this.#loading
  }

  /** Loads now (after a command whose answer is not the value itself). */
  refresh(): Promise<void> {
    return this.#loader.refresh()
  }

  /** Shows `value` at once (a command answered with it); loads under way are outdated. */
  set(value: T): void {
    this.#loader.set(value)
  }
}

/** A value loaded from the engine and kept current while it is read (see the top). */
export function resource<T>(load: () => Promise<T>, options?: LiveOptions): Resource<T> {
  return new Resource(load, options)
}

/** One engine command run from a form: one at a time, its error kept for display. */
export class Action<A extends unknown[]> {
  busy = $state(false)
  error = $state<string | null>(null)
  #fn: (...args: A) => Promise<unknown>

  constructor(fn: (...args: A) => Promise<unknown>) {
    this.#fn = fn
  }

  /** Runs the command unless one is under way; true when it ran and succeeded. */
  run = async (...args: A): Promise<boolean> => {
    if (this.busy) return false
    this.busy = true
    this.error = null
    try {
      await this.#fn(...args)
      return true
    } catch (e) {
      this.error = errorMessage(e)
      return false
    } finally {
      this.busy = false
    }
  }
}

/** Wraps `fn` (see `Action`): `{ busy, error, run }`. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<unknown>): Action<A> {
  return new Action(fn)
}
