import type { Kind } from './bindings'

/** The sidebar of DESIGN §9, in order. `kind` is the object kind a section lists. */
export interface Section {
  id: SectionId
  label: string
  kind: Kind | null
  /** True once the section has its real view; the others list their kind honestly. */
  built: boolean
}

export type SectionId =
  | 'inbox'
  | 'threads'
  | 'decisions'
  | 'meetings'
  | 'checkins'
  | 'pages'
  | 'tasks'
  | 'team'
  | 'settings'
  | 'sync'

export const SECTIONS: readonly Section[] = [
  { id: 'inbox', label: 'Inbox', kind: null, built: true },
  { id: 'threads', label: 'Threads', kind: 'thread', built: true },
  { id: 'decisions', label: 'Decisions', kind: 'decision', built: true },
  { id: 'meetings', label: 'Meetings', kind: 'meeting', built: true },
  { id: 'checkins', label: 'Check-ins', kind: 'checkin', built: true },
  { id: 'pages', label: 'Pages', kind: 'page', built: true },
  { id: 'tasks', label: 'Tasks', kind: 'task', built: true },
  { id: 'team', label: 'Team', kind: 'member', built: true },
  { id: 'settings', label: 'My settings', kind: null, built: true },
  { id: 'sync', label: 'Devices & sync', kind: null, built: true },
]
