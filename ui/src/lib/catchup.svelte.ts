// The catch-up (what others changed since this device last looked), shared by the
// sidebar's count and the Catch-up view: one load, kept current by the engine's events
// (a sync brings others' changes as events). Marking seen changes no document, so the
// view refreshes it itself.

import { api } from './api'
import { resource } from './live.svelte'

export const catchUp = resource(() => api.catchUp(), { debounce: 300 })
