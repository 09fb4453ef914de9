// The workspace's members and my own profile, loaded once and shared by every view that
// shows names, owners or attendees (instead of each fetching its own copy), and kept
// current from the engine's events while something on screen reads them.

import type { MemberView } from './bindings'
import { api } from './api'
import { resource } from './live.svelte'

export const members = resource(() => api.members(), { kinds: ['member'] })

/** Display names by member id, for a list of members. */
export function namesOf(list: readonly MemberView[] | undefined): Map<string, string> {
  return new Map((list ?? []).map((m) => [m.id as string, m.display_name]))
}

// My member document's id, learnt from the first answer: only its changes reload.
let myId: string | undefined
export const profile = resource(
  async () => {
    const p = await api.myProfile()
    myId = p.id
    return p
  },
  { id: () => myId },
)
