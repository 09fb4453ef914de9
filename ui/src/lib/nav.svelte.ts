// Where the app is: the section shown and the object open in it. Views and components
// navigate through `nav.open` instead of threading callbacks through every layer.

import type { Kind } from './bindings'
import { objects } from './objects.svelte'
import type { SectionId } from './sections'

const SECTION_OF: Partial<Record<Kind, SectionId>> = {
  thread: 'threads',
  page: 'pages',
  decision: 'decisions',
  meeting: 'meetings',
  checkin: 'checkins',
  task: 'tasks',
  member: 'team',
}

class Nav {
  section = $state<SectionId>('inbox')
  /** The object open in each section (null, never undefined: views bind to these). */
  selected = $state<Record<SectionId, string | null>>({
    catchup: null,
    inbox: null,
    threads: null,
    decisions: null,
    meetings: null,
    checkins: null,
    pages: null,
    tasks: null,
    team: null,
    settings: null,
    sync: null,
    trash: null,
  })

  open(kind: Kind | string, id: string): void {
    const section = SECTION_OF[kind as Kind]
    if (!section) return
    this.selected[section] = id
    this.section = section
  }

  /** The change an object was opened at (catch-up opens an item at the version it shows:
   *  `heads`, coming from `from`); a History panel may show that version and the diff. */
  point = $state<{ id: string; heads: string; from: string } | null>(null)

  /** Opens an object at a change (its heads, and the heads before it). */
  openAt(kind: Kind | string, id: string, heads: string, from = ''): void {
    this.point = { id, heads, from }
    this.open(kind, id)
  }

  /** Opens the object a `[[link]]` names: by id, else by title (any case). */
  openTarget(target: string): boolean {
    const t = target.trim().toLowerCase()
    const found =
      objects.all.find((o) => o.id === target.trim()) ?? objects.all.find((o) => o.title.trim().toLowerCase() === t)
    if (!found) return false
    this.open(found.kind, found.id)
    return true
  }

  go(section: SectionId): void {
    this.section = section
  }

  /** A request to start a new object; the section's view answers it (focuses its form). */
  creating = $state<{ kind: Kind; n: number } | null>(null)
  /** The keyboard-shortcut overlay. */
  help = $state(false)
  /** The command palette. */
  palette = $state(false)

  startNew(kind: Kind): void {
    const section = SECTION_OF[kind]
    if (section) this.section = section
    this.creating = { kind, n: (this.creating?.n ?? 0) + 1 }
  }

  /** Called by a view once it has acted on a `creating` request for `kind`. */
  takeNew(kind: Kind): boolean {
    if (this.creating?.kind !== kind) return false
    this.creating = null
    return true
  }
}

export const nav = new Nav()
