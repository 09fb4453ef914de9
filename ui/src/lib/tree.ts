// The page tree, flattened into rows for a virtualised list.

export interface TreeNode {
  id: string
  title: string
  parent: string | null
}

export interface TreeRow<T extends TreeNode> {
  node: T
  depth: number
  hasChildren: boolean
}

/**
 * Rows in tree order (children under their parent, siblings in the given order), leaving
 * out the descendants of `collapsed` pages. Nodes whose parent is missing are roots, and a
 * parent cycle (possible after a concurrent merge) cannot hide or repeat a node.
 */
export function flattenTree<T extends TreeNode>(nodes: readonly T[], collapsed: ReadonlySet<string>): TreeRow<T>[] {
  const ids = new Set(nodes.map((n) => n.id))
  const children = new Map<string | null, T[]>()
  for (const n of nodes) {
    const parent = n.parent && ids.has(n.parent) && n.parent !== n.id ? n.parent : null
    const list = children.get(parent) ?? []
    list.push(n)
    children.set(parent, list)
  }
  const out: TreeRow<T>[] = []
  const seen = new Set<string>()
  const walk = (parent: string | null, depth: number, show: boolean) => {
    for (const node of children.get(parent) ?? []) {
      if (seen.has(node.id)) continue
      seen.add(node.id)
      const kids = children.get(node.id) ?? []
      if (show) out.push({ node, depth, hasChildren: kids.length > 0 })
      walk(node.id, depth + 1, show && !collapsed.has(node.id))
    }
  }
  walk(null, 0, true)
  // Nodes only reachable through a cycle: show them as roots.
  for (const node of nodes) {
    if (!seen.has(node.id)) {
      seen.add(node.id)
      out.push({ node, depth: 0, hasChildren: false })
    }
  }
  return out
}
