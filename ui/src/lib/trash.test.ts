import { describe, expect, it } from 'vitest'
import type { ObjectSummary } from './bindings'
import { place, split } from './trash'

const row = (id: string, trashed = false): ObjectSummary => ({
  id,
  kind: 'page',
  title: `Page ${id}`,
  status: null,
  updated_at: '2026-11-24T09:00:00.000Z',
  trashed,
})

describe('trash', () => {
  it('moves a trashed object out of the live list and back when restored', () => {
    const start = { live: [row('a'), row('b')], trash: [] }
    const trashed = place(start.live, start.trash, { type: 'object_trashed', summary: row('a', true) })
    expect(trashed.live.map((o) => o.id)).toEqual(['b'])
    expect(trashed.trash.map((o) => o.id)).toEqual(['a'])
    const restored = place(trashed.live, trashed.trash, { type: 'object_restored', summary: row('a') })
    expect(restored.live.map((o) => o.id)).toEqual(['a', 'b'])
    expect(restored.trash).toEqual([])
  })

  it('follows the summary for other events: a remote object may arrive already trashed', () => {
    const created = place([], [], { type: 'object_created', summary: row('c', true) })
    expect(created).toEqual({ live: [], trash: [row('c', true)] })
    const edited = place(created.live, created.trash, { type: 'object_changed', summary: row('c', true) })
    expect(edited.trash).toHaveLength(1)
  })

  it('drops an object deleted for good from both lists', () => {
    const start = { live: [row('a')], trash: [row('b', true)] }
    const purged = place(start.live, start.trash, { type: 'object_purged', summary: row('b', true) })
    expect(purged).toEqual({ live: [row('a')], trash: [] })
  })

  it('splits a listing that includes the trash', () => {
    const { live, trash } = split([row('a'), row('b', true)])
    expect(live.map((o) => o.id)).toEqual(['a'])
    expect(trash.map((o) => o.id)).toEqual(['b'])
  })
})
