import { describe, expect, it } from 'vitest'
import { flattenTree } from './tree'

const n = (id: string, parent: string | null = null) => ({ id, title: id, parent })

describe('flattenTree', () => {
  it('puts children under their parent with depth, and hides collapsed branches', () => {
    const nodes = [n('a'), n('b'), n('a1', 'a'), n('a1x', 'a1'), n('b1', 'b')]
    const rows = flattenTree(nodes, new Set())
    expect(rows.map((r) => `${r.depth}${r.node.id}`)).toEqual(['0a', '1a1', '2a1x', '0b', '1b1'])
    expect(rows[0].hasChildren).toBe(true)
    const folded = flattenTree(nodes, new Set(['a']))
    expect(folded.map((r) => r.node.id)).toEqual(['a', 'b', 'b1'])
  })
  it('treats a missing parent as the root and survives cycles', () => {
    const rows = flattenTree([n('x', 'gone'), n('p', 'q'), n('q', 'p')], new Set())
    expect(rows.map((r) => r.node.id).sort()).toEqual(['p', 'q', 'x'])
  })
})
