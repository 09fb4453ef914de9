import { describe, expect, it } from 'vitest'
import { orderedSender, type SaveState } from './orderedSender'

function deferred() {
  let resolve!: () => void
  let reject!: (e: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const concat = (a: string[], b: string[]) => [...a, ...b]
const tick = () => new Promise((r) => setTimeout(r, 0))

describe('orderedSender', () => {
  it('sends one call at a time and batches what arrives meanwhile, in order', async () => {
    const calls: string[][] = []
    const gates: ReturnType<typeof deferred>[] = []
    const states: string[] = []
    const q = orderedSender<string[]>(
      (batch) => {
        calls.push(batch)
        const d = deferred()
        gates.push(d)
        return d.promise
      },
      concat,
      (s: SaveState) => states.push(s.state),
    )
    q.push(['a'])
    q.push(['b'])
    q.push(['c'])
    expect(calls).toEqual([['a']])
    expect(q.state.state).toBe('saving')
    gates[0].resolve()
    await tick()
    expect(calls).toEqual([['a'], ['b', 'c']])
    expect(q.state.state).toBe('saving')
    q.push(['d'])
    gates[1].resolve()
    await tick()
    expect(calls).toEqual([['a'], ['b', 'c'], ['d']])
    gates[2].resolve()
    await q.flush()
    expect(q.state.state).toBe('saved')
    expect(states.at(-1)).toBe('saved')
  })

  it('reports saved only once every write is acknowledged', async () => {
    const d = deferred()
    const q = orderedSender<string[]>(() => d.promise, concat)
    q.push(['a'])
    let flushed = false
    const f = q.flush().then(() => (flushed = true))
    await tick()
    expect(flushed).toBe(false)
    expect(q.state.state).toBe('saving')
    d.resolve()
    await f
    expect(flushed).toBe(true)
  })

  it('keeps a failed batch ahead of later edits and resends it on retry', async () => {
    const calls: string[][] = []
    let fail = true
    const q = orderedSender<string[]>(async (batch) => {
      calls.push(batch)
      if (fail) throw { kind: 'storage', detail: 'disk full' }
    }, concat)
    q.push(['a'])
    await tick()
    expect(q.state).toEqual({ state: 'failed', error: { kind: 'storage', detail: 'disk full' } })
    await expect(q.flush()).rejects.toEqual({ kind: 'storage', detail: 'disk full' })
    q.push(['b']) // typed while failed: queued behind the failed batch, not sent alone
    await tick()
    expect(calls).toEqual([['a']])
    fail = false
    q.retry()
    await q.flush()
    expect(calls).toEqual([['a'], ['a', 'b']])
    expect(q.state.state).toBe('saved')
  })

  it('never resends a change the engine kept in memory when the disk was full', async () => {
    const calls: string[][] = []
    let full = true
    const unsaved = { kind: 'unsaved', detail: 'the disk holding workspace.db is full; free some space' }
    const q = orderedSender<string[]>(async (batch) => {
      calls.push(batch)
      if (full) throw unsaved
    }, concat)
    q.push(['a'])
    await tick()
    expect(q.state).toEqual({ state: 'unsaved', error: unsaved })
    await expect(q.flush()).resolves.toBeUndefined() // delivered: the engine has it
    q.push(['b']) // later edits go on, alone: 'a' is applied already
    await tick()
    expect(calls).toEqual([['a'], ['b']])
    expect(q.state.state).toBe('unsaved')
    q.retry() // nothing to resend
    await tick()
    expect(calls).toEqual([['a'], ['b']])
    full = false
    q.push(['c']) // a write that succeeds saves everything kept before it
    await q.flush()
    expect(calls).toEqual([['a'], ['b'], ['c']])
    expect(q.state.state).toBe('saved')
  })

  it('resolves flush immediately when idle', async () => {
    const q = orderedSender<string[]>(async () => {}, concat)
    await expect(q.flush()).resolves.toBeUndefined()
  })
})
