// Whether every change made on this device is saved on its disk, as the engine says
// (`storageStatus`). After the disk refused a write (full), the changes wait in memory and
// the engine saves them on its own once there is room: this is read again every few
// seconds while shown, and soon after any change, so "not saved" clears by itself.

import { api } from './api'
import { resource } from './live.svelte'

export const storage = resource(() => api.storageStatus(), { debounce: 300, every: 3000 })
