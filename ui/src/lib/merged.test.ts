import { describe as group, expect, it } from 'vitest'
import type { MergeEntry, MergeItem } from './bindings'
import { describe, restoreChoices, restoreLabel } from './merged'
import { needsConfirmation, trashedLine } from './trash'

const heads = { base: [], mine: [], theirs: [], merged: [] }
const title: MergeItem = {
  what: 'field',
  field: 'title',
  path: [{ by: 'key', at: 'title' }],
  base: 'Plan',
  mine: 'Plan A',
  theirs: 'Plan B',
  merged: 'Plan B',
  overwritten: 'mine',
}

group('what merged', () => {
  it('says who set what and who lost', () => {
    expect(describe(title)).toBe(
      'Both changed title: you set “Plan A”, the other device “Plan B” — kept “Plan B”, you lost',
    )
    expect(describe({ what: 'trashedWhileEdited', trashedBy: 'theirs', edited: ['body'], inTrash: true })).toBe(
      'The other device moved it to the trash while you edited body (it is in the trash)',
    )
  })

  it('offers a restore only for sides that lost something and are not back', () => {
    const entry: MergeEntry = { item: title, heads, restorable: ['mine'], restored: [] }
    expect(restoreChoices(entry)).toEqual(['mine'])
    expect(restoreChoices({ ...entry, restored: ['mine'] })).toEqual([])
    expect(restoreLabel(title, 'mine')).toBe('Restore my text')
  })
})

group('trash', () => {
  it('asks before more than five objects go at once', () => {
    expect(needsConfirmation(5)).toBe(false)
    expect(needsConfirmation(6)).toBe(true)
  })

  it('says who trashed an object and when', () => {
    const when = () => '2 h ago'
    expect(trashedLine({ trashed_by_name: 'Ada', trashed_by: 'x', trashed_at: '2026-01-01T00:00:00Z' }, when)).toBe(
      'Trashed by Ada 2 h ago',
    )
    expect(trashedLine({ trashed_by_name: null, trashed_by: null, trashed_at: null }, when)).toBe('Trashed by someone')
  })
})
