// The Markdown mirror in words: the status bar's item, what a pass did, the mass-delete
// warning and where a refused file is. The engine decides (ADR 0008); these only phrase
// its answers.

import type { HeldDeletes, MirrorReport } from './bindings'
import type { MirrorView } from './commands.gen'
import { fromNow } from './time'

/** `1 file`, `3 files`. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** What the status bar says about the mirror; null when no folder is chosen. */
export interface MirrorLine {
  text: string
  tone: 'muted' | 'warn'
  title: string
}

export function mirrorLine(view: MirrorView | null | undefined): MirrorLine | null {
  const folder = view?.status.folder
  if (!view || !folder) return null
  const refused = view.status.refused.length
  if (view.error && !view.running) {
    return { text: 'Mirror stopped', tone: 'warn', title: `${folder}: ${view.error}` }
  }
  if (view.error) {
    // Running, but its last pass failed (a full disk): it retries on its own.
    return { text: 'Mirror: retrying', tone: 'warn', title: `${folder}: ${view.error}` }
  }
  if (view.status.held_deletes) {
    return {
      text: `Mirror: ${view.status.held_deletes.gone} deletions held`,
      tone: 'warn',
      title: `${folder}: ${heldMessage(view.status.held_deletes)} See Settings → Markdown folder`,
    }
  }
  if (refused > 0) {
    return { text: `Mirror: ${refused} refused`, tone: 'warn', title: `${folder}: see Settings → Markdown folder` }
  }
  return { text: `Mirror: ${count(view.status.files, 'file')}`, tone: 'muted', title: folder }
}

/** One line for what a pass did, e.g. `Wrote 3 files, applied 1 edit.` */
export function reportSummary(r: MirrorReport): string {
  const parts = [
    r.written && `wrote ${count(r.written, 'file')}`,
    r.applied && `applied ${count(r.applied, 'edited file')}`,
    r.created && `added ${count(r.created, 'new file')}`,
    r.moved && `followed ${count(r.moved, 'move')}`,
    r.trashed && `trashed ${count(r.trashed, 'object')} whose file was deleted`,
    r.removed && `removed ${count(r.removed, 'file')} of trashed objects`,
    r.refused.length && `refused ${count(r.refused.length, 'file')}`,
  ].filter((p): p is string => typeof p === 'string')
  if (parts.length === 0) return 'Nothing to do: the folder and the workspace hold the same.'
  const line = parts.join(', ')
  return `${line[0].toUpperCase()}${line.slice(1)}.`
}

/** The mass-delete warning: how many files vanished at once, and that nothing was trashed. */
export function heldMessage(held: HeldDeletes): string {
  return (
    `${held.gone} of ${count(held.known, 'mirrored file')} disappeared from the folder at once, ` +
    'more than the mirror trashes without asking. Nothing was trashed.'
  )
}

/** The whole path of a file the mirror refused (`path` is relative to the folder). */
export function fullPath(folder: string | null | undefined, path: string): string {
  if (!folder || path.startsWith('/')) return path
  return `${folder.replace(/\/+$/, '')}/${path}`
}

/** When the mirror last ran: `just now`, `5 min ago`, or `not yet`. */
export function lastRun(instant: string | null | undefined, now: number = Date.now()): string {
  const ago = fromNow(instant, now)
  if (!ago) return 'not yet'
  return ago === 'now' ? 'just now' : ago
}
