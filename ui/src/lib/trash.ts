// Where an object belongs after an event: the live lists or the trash. Kept apart from
// the store (objects.svelte.ts) so it is a plain function the unit tests can call.

import type { Event, ObjectSummary } from './bindings'

export interface Placed {
  live: ObjectSummary[]
  trash: ObjectSummary[]
}

/** Moves the object `event` is about to the front of the list its summary says it is in
 * (trashed or restored here or on another device), and out of the other one. */
export function place(live: ObjectSummary[], trash: ObjectSummary[], event: Event): Placed {
  const s = event.summary
  const inTrash = event.type === 'object_trashed' || (event.type !== 'object_restored' && s.trashed)
  const restLive = live.filter((o) => o.id !== s.id)
  const restTrash = trash.filter((o) => o.id !== s.id)
  return inTrash ? { live: restLive, trash: [s, ...restTrash] } : { live: [s, ...restLive], trash: restTrash }
}

/** Splits a listing made with `includeTrashed`. */
export function split(rows: ObjectSummary[]): Placed {
  return { live: rows.filter((o) => !o.trashed), trash: rows.filter((o) => o.trashed) }
}
