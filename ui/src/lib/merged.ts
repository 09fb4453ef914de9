// What the What-merged banner says about each thing a merge did, as plain functions the
// unit tests can call (the banner only lays them out).

import type { MergeEntry, MergeItem, Side } from './bindings'

/** The side as a reader says it. */
export function sideName(side: Side): string {
  return side === 'mine' ? 'you' : 'the other device'
}

const quoted = (v: string | null): string => (v === null ? 'nothing' : `“${v}”`)

/** One line: what each side did and what the merge kept. */
export function describe(item: MergeItem): string {
  switch (item.what) {
    case 'field': {
      const kept = item.overwritten ? ` — kept ${quoted(item.merged)}, ${sideName(item.overwritten)} lost` : ''
      return `Both changed ${item.field}: you set ${quoted(item.mine)}, the other device ${quoted(item.theirs)}${kept}`
    }
    case 'trashedWhileEdited': {
      const who = item.trashedBy === 'mine' ? 'You moved it to the trash' : 'The other device moved it to the trash'
      const other = item.trashedBy === 'mine' ? 'the other device' : 'you'
      return `${who} while ${other} edited ${item.edited.join(', ')}${item.inTrash ? ' (it is in the trash)' : ''}`
    }
    case 'paragraph':
      return `Both edited the same paragraph of ${item.field}`
    case 'largeRemoval':
      return `${item.by === 'mine' ? 'You' : 'The other device'} removed ${item.removedWords} words of ${item.field}`
  }
}

/** The restore buttons an entry offers: sides that lost something and are not back yet. */
export function restoreChoices(entry: MergeEntry): Side[] {
  return entry.restorable.filter((s) => !entry.restored.includes(s))
}

/** The label of a restore button. */
export function restoreLabel(item: MergeItem, side: Side): string {
  if (item.what === 'largeRemoval') return 'Put the removed text back'
  return side === 'mine' ? 'Restore my text' : 'Restore their text'
}
