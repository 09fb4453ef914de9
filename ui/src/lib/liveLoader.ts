// The logic of a live resource (see live.svelte.ts), without Svelte: which engine events
// reload it, bursts of them turned into one reload, and answers to outdated requests
// dropped. Kept free of runes so it is unit-tested in plain Node.

import type { Event, Kind } from './bindings'
import { errorMessage, onResync, onWorkspaceEvent } from './api'
import { isTyping } from './touches'

export interface LiveOptions {
  /** Reload when an object of one of these kinds is created, changed, trashed or restored. */
  kinds?: readonly Kind[]
  /** Reload when this object changes (a getter, as the id may follow a prop). */
  id?: () => string | null | undefined
  /** Milliseconds to wait after the last event of a burst before reloading. */
  debounce?: number
  /** Also reload this often (ms) while listening: days end and prompt times pass without edits. */
  every?: number
}

/** Where a loader puts what it learns (the runes wrapper keeps these in `$state`). */
export interface LiveSink<T> {
  value(value: T): void
  error(message: string | null): void
  loading(on: boolean): void
}

/** How long a burst of events may go quiet before the reload. */
export const DEBOUNCE_MS = 120

/** How long typing must pause before a change of the object being typed into reloads:
 * each saved keystroke is a change, and a view must not reload on every key (issue 18). */
export const TYPING_DEBOUNCE_MS = 1500

export class LiveLoader<T> {
  readonly #load: () => Promise<T>
  readonly #options: LiveOptions
  readonly #sink: LiveSink<T>
  /** Bumped by every load and every `set`: an answer may land only if it is the newest. */
  #generation = 0
  /** Whether the newest load has not answered yet. */
  #inFlight = false
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(load: () => Promise<T>, options: LiveOptions, sink: LiveSink<T>) {
    this.#load = load
    this.#options = options
    this.#sink = sink
  }

  /** Loads now; an earlier load still under way is outdated by it. */
  refresh(): Promise<void> {
    clearTimeout(this.#timer)
    const mine = ++this.#generation
    this.#inFlight = true
    this.#sink.loading(true)
    let answer: Promise<T>
    try {
      answer = this.#load()
    } catch (e) {
      answer = Promise.reject(e)
    }
    return answer.then(
      (value) => {
        if (mine !== this.#generation) return
        this.#inFlight = false
        this.#sink.value(value)
        this.#sink.error(null)
        this.#sink.loading(false)
      },
      (e) => {
        if (mine !== this.#generation) return
        this.#inFlight = false
        this.#sink.error(errorMessage(e))
        this.#sink.loading(false)
      },
    )
  }

  /** Shows `value` at once (a command answered with it). A load under way may have read
   * before the command and is dropped; as it may also have read what the value does not
   * carry, another load follows. */
  set(value: T): void {
    this.#generation++
    if (this.#inFlight) {
      this.#inFlight = false
      this.soon()
    }
    this.#sink.value(value)
    this.#sink.error(null)
    this.#sink.loading(false)
  }

  /** Whether `event` touches what is loaded. Without a filter, every event does. */
  matches(event: Event): boolean {
    const { kinds, id } = this.#options
    if (!kinds && !id) return true
    if (kinds?.includes(event.summary.kind)) return true
    return id !== undefined && event.summary.id === id()
  }

  /** A reload after the burst of events this one belongs to (`wait` ms, or the option's). */
  soon(wait?: number): void {
    clearTimeout(this.#timer)
    const debounce = this.#options.debounce ?? DEBOUNCE_MS
    this.#timer = setTimeout(() => void this.refresh(), Math.max(wait ?? 0, debounce))
  }

  /** The reload an event asks for: a keystroke's change waits for typing to pause. */
  onEvent(event: Event): void {
    if (!this.matches(event)) return
    const keystroke = event.type === 'object_changed' && isTyping(event.summary.id)
    this.soon(keystroke ? TYPING_DEBOUNCE_MS : undefined)
  }

  /** Listens for matching events, resyncs and the `every` tick; returns how to stop. The
   * caller does the first load (the runes wrapper, in an effect that tracks it). */
  listen(): () => void {
    const unlisten = [
      onWorkspaceEvent((e) => this.onEvent(e)),
      // Events were dropped: whatever was missed may concern us, whatever the filter.
      onResync(() => this.soon()),
    ]
    const every = this.#options.every
    const tick = every ? setInterval(() => void this.refresh(), every) : undefined
    return () => {
      clearTimeout(this.#timer)
      clearInterval(tick)
      for (const p of unlisten) p.then((off) => off()).catch(() => {})
    }
  }
}
