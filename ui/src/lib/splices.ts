// CodeMirror changes → the engine's `TextSplice`s.
//
// CodeMirror reports each change against the document *before* the transaction
// (`fromA`/`toA`) and where it lands *after* it (`fromB`). The engine applies splices one
// after another, so each splice's position is where the change starts once the earlier
// changes of the same transaction are applied: that is `fromB`. Positions and lengths are
// UTF-16 code units, which is what both CodeMirror and the engine count.

import type { TextSplice } from './bindings'

/** The slice of CodeMirror's `ChangeSet` this module needs (keeps it testable without a DOM). */
export interface ChangeLike {
  iterChanges(
    f: (fromA: number, toA: number, fromB: number, toB: number, inserted: { toString(): string }) => void,
    individual?: boolean,
  ): void
}

export function changesToSplices(changes: ChangeLike): TextSplice[] {
  const out: TextSplice[] = []
  changes.iterChanges((fromA, toA, fromB, _toB, inserted) => {
    const insert = inserted.toString()
    const del = toA - fromA
    if (del === 0 && insert.length === 0) return
    out.push({ pos: fromB, delete: del, insert })
  })
  return out
}

/** Applies splices to a string the way the engine does (used by tests and as a reference). */
export function applySplices(text: string, splices: readonly TextSplice[]): string {
  let out = text
  for (const s of splices) {
    if (s.pos + s.delete > out.length) {
      throw new RangeError(`splice ${s.pos}+${s.delete} beyond length ${out.length}`)
    }
    out = out.slice(0, s.pos) + s.insert + out.slice(s.pos + s.delete)
  }
  return out
}
