// Whether this device's changes are on its disk, in words for the status bar: nothing when
// they are, else how many wait in memory and why (the engine's message says what to do).

import type { StorageStatus } from './bindings'

export interface StorageLine {
  text: string
  title: string
}

export function storageLine(status: StorageStatus | null | undefined): StorageLine | null {
  if (!status || status.unsaved === 0) return null
  const n = status.unsaved
  return {
    text: `Not saved: ${n} ${n === 1 ? 'change waits' : 'changes wait'} in memory`,
    title: `${status.error ?? 'The disk refused to save them.'} Keep Meridian open: they are saved as soon as the disk has room.`,
  }
}
