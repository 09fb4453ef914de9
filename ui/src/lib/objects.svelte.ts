// Every object summary in the workspace, kept current from the engine's events so lists
// never poll and never reload on each keystroke.

import type { Event, Kind, ObjectSummary } from './bindings'
import { api, errorMessage } from './api'
import { place, split } from './trash'
import { isTouch, Touches } from './touches'

class Objects {
  all = $state<ObjectSummary[]>([])
  /** Objects in the trash, shown only by the Trash view. */
  trash = $state<ObjectSummary[]>([])
  loaded = $state(false)
  error = $state<string | null>(null)

  async load(): Promise<void> {
    this.#touches.release()
    try {
      const { live, trash } = split(await api.listObjects(null, true))
      this.all = live
      this.trash = trash
      this.error = null
    } catch (e) {
      this.error = errorMessage(e)
    } finally {
      this.loaded = true
    }
  }

  /** Keystrokes' changes (only `updated_at` moves), applied once typing pauses. */
  #touches = new Touches((events) => {
    let { all: live, trash } = this
    for (const e of events) ({ live, trash } = place(live, trash, e))
    this.all = live
    this.trash = trash
  })

  apply(event: Event): void {
    if (isTouch(event, this.all)) {
      this.#touches.hold(event)
      return
    }
    this.#touches.release()
    const { live, trash } = place(this.all, this.trash, event)
    this.all = live
    this.trash = trash
  }

  ofKind(kind: Kind): ObjectSummary[] {
    return this.all
      .filter((o) => o.kind === kind)
      .sort((a, b) => (a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : 0))
  }

  count(kind: Kind): number {
    return this.all.reduce((n, o) => n + (o.kind === kind ? 1 : 0), 0)
  }
}

export const objects = new Objects()
