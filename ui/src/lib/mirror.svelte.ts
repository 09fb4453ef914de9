// The Markdown mirror's state, loaded once and shared by the status bar and Settings (so
// both show the same count), and kept current while something on screen reads it. A pass
// follows an edit by a moment and file saves announce nothing to the UI, so it is read
// again every few seconds, and soon after page and decision changes.

import { api } from './api'
import { resource } from './live.svelte'

export const mirror = resource(() => api.mirrorStatus(), { kinds: ['page', 'decision'], debounce: 1500, every: 5000 })
