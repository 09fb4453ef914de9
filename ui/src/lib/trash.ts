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
  // Deleted for good: gone from both.
  if (event.type === 'object_purged')
    return { live: live.filter((o) => o.id !== s.id), trash: trash.filter((o) => o.id !== s.id) }
  const inTrash = event.type === 'object_trashed' || (event.type !== 'object_restored' && s.trashed)
  const restLive = live.filter((o) => o.id !== s.id)
  const restTrash = trash.filter((o) => o.id !== s.id)
  return inTrash ? { live: restLive, trash: [s, ...restTrash] } : { live: [s, ...restLive], trash: restTrash }
}

/** Splits a listing made with `includeTrashed`. */
export function split(rows: ObjectSummary[]): Placed {
  return { live: rows.filter((o) => !o.trashed), trash: rows.filter((o) => o.trashed) }
}

/** Past this many objects one action that trashes them asks first (the engine's `TRASH_GUARD`). */
export const TRASH_GUARD = 5

/** Whether moving `count` objects at once needs a confirmation. */
export function needsConfirmation(count: number): boolean {
  return count > TRASH_GUARD
}

/** Who moved an object to the trash and when, as the Trash view says it. */
export function trashedLine(
  t: { trashed_by_name: string | null; trashed_by: string | null; trashed_at: string | null },
  when: (iso: string) => string,
): string {
  const who = t.trashed_by_name ?? (t.trashed_by ? 'a former member' : 'someone')
  return t.trashed_at ? `Trashed by ${who} ${when(t.trashed_at)}` : `Trashed by ${who}`
}
