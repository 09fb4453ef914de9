import type { Kind } from './bindings'

/** The sidebar (ARCHITECTURE: The desktop app), in order. `kind` is the object kind a section lists. */
export interface Section {
  id: SectionId
  label: string
  kind: Kind | null
}

export type SectionId =
  | 'catchup'
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
  | 'trash'

export const SECTIONS: readonly Section[] = [
  { id: 'catchup', label: 'Catch-up', kind: null },
  { id: 'inbox', label: 'Inbox', kind: null },
  { id: 'threads', label: 'Threads', kind: 'thread' },
  { id: 'decisions', label: 'Decisions', kind: 'decision' },
  { id: 'meetings', label: 'Meetings', kind: 'meeting' },
  { id: 'checkins', label: 'Check-ins', kind: 'checkin' },
  { id: 'pages', label: 'Pages', kind: 'page' },
  { id: 'tasks', label: 'Tasks', kind: 'task' },
  { id: 'team', label: 'Team', kind: 'member' },
  { id: 'settings', label: 'My settings', kind: null },
  { id: 'sync', label: 'Devices & sync', kind: null },
  { id: 'trash', label: 'Trash', kind: null },
]
