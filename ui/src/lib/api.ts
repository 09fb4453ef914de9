// The engine's commands and events for the views. The typed calls are generated from the
// shell's command table (commands.gen.ts, see src-tauri/src/commands/table.rs); this file
// keeps the names the views use and adds what is not a plain call: defaults, event helpers
// and reading an `ApiError`.

import type { UnlistenFn } from '@tauri-apps/api/event'
import type { ApiError, Event, Kind, NotificationBatch } from './bindings'
import { commands, listenTo } from './commands.gen'

export type { FirstRun, Invitation, MirrorView } from './commands.gen'

export const api = {
  ...commands,
  listObjects: (kind: Kind | null, includeTrashed = false) => commands.listObjects(kind, includeTrashed),
}

/** Progress of the search index catching up with the workspace: [done, total]. */
export function onSearchProgress(handler: (p: [number, number]) => void): Promise<UnlistenFn> {
  return listenTo('search-progress', handler)
}

/** Notifications released by the desktop shell (direct ones, and digests after a hold). */
export function onNotifications(handler: (b: NotificationBatch) => void): Promise<UnlistenFn> {
  return listenTo('notifications', handler)
}

/** Workspace changes, announced by the engine once durable. */
export function onWorkspaceEvent(handler: (e: Event) => void): Promise<UnlistenFn> {
  return listenTo('workspace-event', handler)
}

/** Events were dropped because the UI fell behind: reload what is shown. */
export function onResync(handler: () => void): Promise<UnlistenFn> {
  return listenTo('workspace-resync', () => handler())
}

export function isApiError(e: unknown): e is ApiError {
  return typeof e === 'object' && e !== null && 'kind' in e && 'detail' in e
}

/** A message for people: the engine's `detail`, or whatever else went wrong. */
export function errorMessage(e: unknown): string {
  if (isApiError(e)) return e.detail
  if (e instanceof Error) return e.message
  return String(e)
}
