// Sends writes to the engine strictly in order, one call at a time.
//
// Edits pile up while a call is in flight and go out together in the next call, merged
// with `merge` (splices are concatenated, patches overlaid). Nothing is reordered or
// dropped: a failed batch goes back to the front, ahead of anything typed since, and is
// sent again by `retry()`. `state` reflects acknowledged writes only: it is `saved` once
// the engine has confirmed everything queued so far.
//
// One failure is different: an error of kind `unsaved` means the engine made the change
// and keeps it in memory, but the disk refused to save it (full). Sending it again would
// apply it twice, so the batch counts as delivered, later edits go on, and the state is
// `unsaved` until a write succeeds (which saves everything kept before it).

export type SaveState =
  { state: 'saved' } | { state: 'saving' } | { state: 'failed'; error: unknown } | { state: 'unsaved'; error: unknown }

/** The engine applied the change and keeps it, but could not save it to disk yet. */
export function isKeptUnsaved(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { kind?: unknown }).kind === 'unsaved'
}

export interface OrderedSender<T> {
  push(item: T): void
  /** Resends the batch that failed, followed by everything queued since. */
  retry(): void
  /** Resolves once everything queued so far is acknowledged; rejects if a write fails. */
  flush(): Promise<void>
  readonly state: SaveState
}

export function orderedSender<T>(
  send: (batch: T) => Promise<unknown>,
  merge: (earlier: T, later: T) => T,
  onState: (s: SaveState) => void = () => {},
): OrderedSender<T> {
  let pending: T | undefined
  let inFlight = false
  let current: SaveState = { state: 'saved' }
  let waiters: { resolve: () => void; reject: (e: unknown) => void }[] = []

  const setState = (s: SaveState) => {
    current = s
    onState(s)
    if (s.state === 'saved' || s.state === 'unsaved') {
      const w = waiters
      waiters = []
      w.forEach((x) => x.resolve())
    } else if (s.state === 'failed') {
      const w = waiters
      waiters = []
      w.forEach((x) => x.reject(s.error))
    }
  }

  const pump = async () => {
    if (inFlight || pending === undefined) return
    inFlight = true
    let unsaved: unknown = undefined
    while (pending !== undefined) {
      const batch = pending
      pending = undefined
      setState({ state: 'saving' })
      try {
        await send(batch)
        unsaved = undefined
      } catch (error) {
        if (isKeptUnsaved(error)) {
          unsaved = error
          continue
        }
        pending = pending === undefined ? batch : merge(batch, pending)
        inFlight = false
        setState({ state: 'failed', error })
        return
      }
    }
    inFlight = false
    setState(unsaved === undefined ? { state: 'saved' } : { state: 'unsaved', error: unsaved })
  }

  return {
    push(item: T) {
      pending = pending === undefined ? item : merge(pending, item)
      if (current.state === 'failed') return // wait for retry(): never skip the failed batch
      void pump()
    },
    retry() {
      if (current.state !== 'failed') return
      void pump()
    },
    flush() {
      if (current.state === 'failed') return Promise.reject(current.error)
      if (!inFlight && pending === undefined) return Promise.resolve()
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }))
    },
    get state() {
      return current
    },
  }
}
