// The decision form's editable copy and the patches built from it.
//
// The form edits a draft; changed fields are marked dirty and the patch is built from the
// draft when it is sent (not when it was typed), so a patch always carries the newest
// values and the option ids the engine has assigned so far. Options get a local `key`
// so an id returned for a new option lands on the right row even if rows were added or
// removed while the write was in flight.

import type { Decision, DecisionOption, DecisionPatch } from './bindings'

export interface OptionDraft {
  key: string
  /** Empty until the engine has assigned one. */
  id: string
  title: string
  description: string
  pros: string
  cons: string
}

export interface DecisionDraft {
  title: string
  context: string
  drivers: string
  options: OptionDraft[]
  chosen: string | null
  rationale: string
  consequences: string
  /** People, comma-separated as typed. */
  deciders: string
  consulted: string
  informed: string
  /** `YYYY-MM-DDTHH:MM` in this computer's zone, or empty. */
  decideBy: string
}

export type Field =
  | 'title'
  | 'context'
  | 'drivers'
  | 'options'
  | 'chosen'
  | 'rationale'
  | 'consequences'
  | 'deciders'
  | 'consulted'
  | 'informed'
  | 'decideBy'

/** People as a comma-separated line, and back. */
export function peopleToText(list: readonly string[]): string {
  return list.join(', ')
}
export function textToPeople(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
}

/** A `datetime-local` value for an instant, in this computer's zone. */
export function toLocalInput(ms: number | null): string {
  if (ms == null) return ''
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}
export function fromLocalInput(value: string): number | null {
  if (!value) return null
  const ms = new Date(value).getTime()
  return Number.isNaN(ms) ? null : ms
}

let nextKey = 0
export function newKey(): string {
  nextKey += 1
  return `opt-${nextKey}`
}

/** One list item per non-empty line. */
export function linesToList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
}

export function listToLines(list: readonly string[]): string {
  return list.join('\n')
}

export function emptyOption(): OptionDraft {
  return { key: newKey(), id: '', title: '', description: '', pros: '', cons: '' }
}

export function toDraft(d: Decision): DecisionDraft {
  return {
    title: d.title,
    context: d.context,
    drivers: listToLines(d.drivers),
    options: d.options.map((o) => ({
      key: newKey(),
      id: o.id,
      title: o.title,
      description: o.description,
      pros: listToLines(o.pros),
      cons: listToLines(o.cons),
    })),
    chosen: d.chosen_option,
    rationale: d.rationale,
    consequences: d.consequences,
    deciders: peopleToText(d.deciders),
    consulted: peopleToText(d.consulted),
    informed: peopleToText(d.informed),
    decideBy: toLocalInput(d.decide_by_ms),
  }
}

export interface BuiltPatch {
  patch: DecisionPatch
  /** Keys of the options sent, in order (when `options` was sent). */
  sentKeys: string[] | null
}

export function buildPatch(draft: DecisionDraft, fields: ReadonlySet<Field>): BuiltPatch {
  const patch: DecisionPatch = {}
  let sentKeys: string[] | null = null
  if (fields.has('title')) patch.title = draft.title
  if (fields.has('context')) patch.context = draft.context
  if (fields.has('drivers')) patch.drivers = linesToList(draft.drivers)
  if (fields.has('options')) {
    patch.options = draft.options.map((o): DecisionOption => ({
      id: o.id,
      title: o.title.trim(),
      description: o.description,
      pros: linesToList(o.pros),
      cons: linesToList(o.cons),
    }))
    sentKeys = draft.options.map((o) => o.key)
  }
  if (fields.has('chosen')) patch.chosen_option = draft.chosen
  if (fields.has('rationale')) patch.rationale = draft.rationale
  if (fields.has('consequences')) patch.consequences = draft.consequences
  if (fields.has('deciders')) patch.deciders = textToPeople(draft.deciders)
  if (fields.has('consulted')) patch.consulted = textToPeople(draft.consulted)
  if (fields.has('informed')) patch.informed = textToPeople(draft.informed)
  if (fields.has('decideBy')) patch.decide_by_ms = fromLocalInput(draft.decideBy)
  return { patch, sentKeys }
}

/** Gives the options that were sent without an id the ids the engine assigned. */
export function assignIds(
  draft: DecisionDraft,
  sentKeys: readonly string[],
  returned: readonly DecisionOption[],
): void {
  sentKeys.forEach((key, i) => {
    const row = draft.options.find((o) => o.key === key)
    const id = returned[i]?.id
    if (row && row.id === '' && id) row.id = id
  })
}

export function unionFields(a: Set<Field>, b: Set<Field>): Set<Field> {
  return new Set([...a, ...b])
}
