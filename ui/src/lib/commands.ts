// Everything the app can do from the keyboard (ACTIONS, not to be confused with the IPC
// commands of api.ts): the command palette lists these, the help overlay shows their
// shortcuts, and App's key handler runs them.

import type { Kind } from './bindings'
import { nav } from './nav.svelte'
import { SECTIONS, type SectionId } from './sections'

export interface PaletteAction {
  id: string
  label: string
  /** Shown in the palette and the help overlay, e.g. `G then P`. */
  keys?: string
  run: () => void
}

const NEW: { kind: Kind; label: string; key: string }[] = [
  { kind: 'page', label: 'New page', key: 'P' },
  { kind: 'decision', label: 'New decision', key: 'D' },
  { kind: 'meeting', label: 'New meeting', key: 'M' },
  { kind: 'thread', label: 'New thread', key: 'T' },
  { kind: 'task', label: 'New task', key: 'K' },
  { kind: 'checkin', label: 'New check-in', key: 'C' },
]

/** The key after `G` for each section. */
export const GO_KEYS: Record<SectionId, string> = {
  catchup: 'u',
  inbox: 'i',
  threads: 't',
  decisions: 'd',
  meetings: 'm',
  checkins: 'c',
  pages: 'p',
  tasks: 'k',
  team: 'e',
  settings: 's',
  sync: 'y',
  trash: 'x',
}

/** The key after `N` (new) for each kind that can be created. */
export const NEW_KEYS: Record<string, Kind> = Object.fromEntries(NEW.map((n) => [n.key.toLowerCase(), n.kind]))

export const ACTIONS: readonly PaletteAction[] = [
  ...NEW.map((n) => ({
    id: `new-${n.kind}`,
    label: n.label,
    keys: `N then ${n.key}`,
    run: () => nav.startNew(n.kind),
  })),
  ...SECTIONS.map((s) => ({
    id: `go-${s.id}`,
    label: `Go to ${s.label}`,
    keys: `G then ${GO_KEYS[s.id].toUpperCase()}`,
    run: () => nav.go(s.id),
  })),
  { id: 'help', label: 'Keyboard shortcuts', keys: '?', run: () => (nav.help = true) },
]

/** Other shortcuts the help overlay lists (handled where they apply). */
export const OTHER_KEYS: { keys: string; label: string }[] = [
  { keys: 'Ctrl/⌘ K', label: 'Search and run commands' },
  { keys: '/', label: 'Search' },
  { keys: 'Alt 1–9, Alt 0', label: 'Go to a section by its place in the sidebar' },
  { keys: '↑ ↓ Home End', label: 'Move through a list' },
  { keys: 'Enter', label: 'Open the selected item' },
  { keys: 'Ctrl/⌘ click', label: 'Open a [[link]] in the editor' },
  { keys: '[[', label: 'Link to a page, decision or other object while writing' },
  { keys: 'Esc', label: 'Close a dialog' },
]

/** Actions matching what was typed in the palette (every word, in any order). */
export function matchActions(query: string): PaletteAction[] {
  const words = query.toLowerCase().replace(/^>/, '').split(/\s+/).filter(Boolean)
  if (words.length === 0) return [...ACTIONS]
  return ACTIONS.filter((c) => words.every((w) => c.label.toLowerCase().includes(w)))
}
