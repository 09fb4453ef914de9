// The editor's live preview: Markdown stays the text being edited, but headings, emphasis,
// lists, links, code and tables look like what they will become. Wiki links `[[Title]]`
// are marked and open on Ctrl/Cmd+click; typing `[[` offers the workspace's titles.

import { HighlightStyle, syntaxHighlighting, syntaxTree } from '@codemirror/language'
import { tags } from '@lezer/highlight'
import { RangeSetBuilder, type Extension } from '@codemirror/state'
import { Decoration, EditorView, ViewPlugin, type DecorationSet, type ViewUpdate } from '@codemirror/view'
import { autocompletion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete'

const style = HighlightStyle.define([
  { tag: tags.heading1, fontSize: '1.6em', fontWeight: '700' },
  { tag: tags.heading2, fontSize: '1.35em', fontWeight: '700' },
  { tag: tags.heading3, fontSize: '1.15em', fontWeight: '700' },
  { tag: [tags.heading4, tags.heading5, tags.heading6], fontWeight: '700' },
  { tag: tags.strong, fontWeight: '700' },
  { tag: tags.emphasis, fontStyle: 'italic' },
  { tag: tags.strikethrough, textDecoration: 'line-through' },
  { tag: tags.link, color: 'var(--accent)', textDecoration: 'underline' },
  { tag: tags.url, color: 'var(--accent)' },
  { tag: tags.monospace, fontFamily: 'var(--font-mono, ui-monospace, monospace)' },
  { tag: tags.quote, color: 'var(--text-muted)', fontStyle: 'italic' },
  { tag: [tags.processingInstruction, tags.meta], color: 'var(--text-faint)' },
  { tag: tags.list, color: 'var(--accent-strong)' },
  { tag: tags.contentSeparator, color: 'var(--text-faint)' },
])

const codeLine = Decoration.line({ class: 'cm-md-code' })
const tableLine = Decoration.line({ class: 'cm-md-table' })
const wikiLink = Decoration.mark({ class: 'cm-wikilink', attributes: { title: 'Ctrl+click (⌘-click) to open' } })
const WIKI = /\[\[([^[\]\n]+)\]\]/g

/** Line backgrounds for code blocks and tables, and marks on wiki links, in view only. */
const blocks = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet
    constructor(view: EditorView) {
      this.decorations = build(view)
    }
    update(u: ViewUpdate) {
      if (u.docChanged || u.viewportChanged || syntaxTree(u.startState) !== syntaxTree(u.state))
        this.decorations = build(u.view)
    }
  },
  { decorations: (v) => v.decorations },
)

function build(view: EditorView): DecorationSet {
  const ranges: { from: number; to: number; deco: Decoration }[] = []
  const doc = view.state.doc
  for (const { from, to } of view.visibleRanges) {
    syntaxTree(view.state).iterate({
      from,
      to,
      enter: (node) => {
        const line =
          node.name === 'FencedCode' || node.name === 'CodeBlock' ? codeLine : node.name === 'Table' ? tableLine : null
        if (!line) return
        for (let pos = node.from; pos <= node.to;) {
          const l = doc.lineAt(pos)
          ranges.push({ from: l.from, to: l.from, deco: line })
          pos = l.to + 1
        }
        return false
      },
    })
    const text = doc.sliceString(from, to)
    for (const m of text.matchAll(WIKI)) {
      const start = from + (m.index ?? 0)
      ranges.push({ from: start, to: start + m[0].length, deco: wikiLink })
    }
  }
  ranges.sort((a, b) => a.from - b.from || (a.deco.spec.class === 'cm-wikilink' ? 1 : -1))
  const builder = new RangeSetBuilder<Decoration>()
  let lastLine = -1
  for (const r of ranges) {
    const isLine = r.from === r.to
    if (isLine && r.from === lastLine) continue
    if (isLine) lastLine = r.from
    builder.add(r.from, r.to, r.deco)
  }
  return builder.finish()
}

/** The wiki link under `pos`, if any: its target (before any `|label`). */
export function wikiTargetAt(text: string, pos: number): string | null {
  for (const m of text.matchAll(WIKI)) {
    const start = m.index ?? 0
    if (pos >= start && pos <= start + m[0].length) return m[1].split('|')[0].trim()
  }
  return null
}

export interface LinkTarget {
  title: string
  kind: string
}

/**
 * The live preview: styles, block backgrounds, wiki links that open with `onopen`, and
 * `[[` completion from `targets()`.
 */
export function livePreview(targets: () => LinkTarget[], onopen: (target: string) => void): Extension {
  const complete = (ctx: CompletionContext): CompletionResult | null => {
    const before = ctx.matchBefore(/\[\[[^[\]\n]*/)
    if (!before) return null
    return {
      from: before.from + 2,
      options: targets().map((t) => ({ label: t.title, detail: t.kind, apply: `${t.title}]]` })),
      validFor: /^[^[\]\n]*$/,
    }
  }
  return [
    syntaxHighlighting(style),
    blocks,
    autocompletion({ override: [complete], icons: false }),
    EditorView.domEventHandlers({
      mousedown(e, view) {
        if (!(e.ctrlKey || e.metaKey)) return false
        const pos = view.posAtCoords({ x: e.clientX, y: e.clientY })
        if (pos == null) return false
        const line = view.state.doc.lineAt(pos)
        const target = wikiTargetAt(line.text, pos - line.from)
        if (!target) return false
        e.preventDefault()
        onopen(target)
        return true
      },
    }),
  ]
}
