// Keystrokes are changes too: each batch the editor saves comes back as an
// `object_changed` event that differs from what the lists hold only in `updated_at`.
// Applying each one would rebuild every list, count and tree that reads the objects on
// every key (issue 18). `Touches` holds such events back until the changes pause (or at
// most `maxWait`), then applies the newest per object at once; any other event first
// releases what is held, so the order of changes is kept. Free of runes for plain-Node
// tests.

import type { Event, ObjectSummary } from './bindings'

/** Whether `event` only moves `updated_at` of an object `live` already shows. */
export function isTouch(event: Event, live: readonly ObjectSummary[]): boolean {
  if (event.type !== 'object_changed') return false
  const s = event.summary
  const o = live.find((x) => x.id === s.id)
  return o !== undefined && o.kind === s.kind && o.title === s.title && o.status === s.status && o.trashed === s.trashed
}

/** Objects whose keystroke changes some `Touches` holds right now (being typed into). */
const typing = new Map<string, number>()

/** Whether keystroke changes of object `id` are being held back: it is being typed into,
 * so whatever reloads on its changes can wait for the pause too (see liveLoader). */
export function isTyping(id: string): boolean {
  return (typing.get(id) ?? 0) > 0
}

export class Touches {
  readonly #held = new Map<string, Event>()
  readonly #apply: (events: Event[]) => void
  readonly #quiet: number
  readonly #maxWait: number
  #timer: ReturnType<typeof setTimeout> | undefined
  #since = 0

  /** `apply` receives the held events, oldest object first, when they are released. */
  constructor(apply: (events: Event[]) => void, quiet = 1000, maxWait = 5000) {
    this.#apply = apply
    this.#quiet = quiet
    this.#maxWait = maxWait
  }

  /** Holds `event` (a touch) back; it is applied once changes pause. */
  hold(event: Event, now = Date.now()): void {
    if (this.#held.size === 0) this.#since = now
    const id = event.summary.id
    if (!this.#held.delete(id)) typing.set(id, (typing.get(id) ?? 0) + 1)
    this.#held.set(id, event)
    clearTimeout(this.#timer)
    const wait = Math.max(0, Math.min(this.#quiet, this.#since + this.#maxWait - now))
    this.#timer = setTimeout(() => this.release(), wait)
  }

  /** Applies everything held now. */
  release(): void {
    clearTimeout(this.#timer)
    if (this.#held.size === 0) return
    const events = [...this.#held.values()]
    for (const id of this.#held.keys()) {
      const n = (typing.get(id) ?? 1) - 1
      if (n > 0) typing.set(id, n)
      else typing.delete(id)
    }
    this.#held.clear()
    this.#apply(events)
  }

  get size(): number {
    return this.#held.size
  }
}
