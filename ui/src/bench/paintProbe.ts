// B8 (keypress to paint): for each key, the time from its `keydown` (`event.timeStamp`)
// to the end of the first frame rendered after the editor applied it.
//
// The frame: an edit reaching the editor's DOM requests an animation frame; a
// `requestAnimationFrame` callback runs at the start of the next rendering update, before
// style, layout and paint, and a message posted from it (MessageChannel, which unlike
// `setTimeout(0)` has no minimum delay) runs as the first task after that rendering update
// is done. Its time is the end of the frame that shows the character. A double
// `requestAnimationFrame` would instead wait for the *next* frame's start and add up to a
// frame interval (16.7 ms) to every sample. What the main thread cannot see, the
// compositor putting the frame on screen, is not included.
//
// Keys are tied to edits by order: every key that went down before an edit and is still
// waiting is in that edit (keys typed faster than frames share one). Only keys that edit
// text count (characters, Enter, Backspace); a counted key still waiting after
// `timeoutMs` when the next edit arrives is reported as missed, not measured.

export interface FrameScheduler {
  /** `requestAnimationFrame`. */
  frame(run: () => void): void
  /** A task that runs after the current rendering update (MessageChannel). */
  afterFrame(run: () => void): void
  /** `performance.now()`, the clock of `event.timeStamp`. */
  now(): number
}

export interface KeySample {
  key: string
  /** keydown → end of the frame that shows it. */
  latencyMs: number
  /** keydown → our capturing keydown listener ran (time spent queued). */
  queuedMs: number
}

interface Waiting {
  key: string
  downAt: number
  handledAt: number
  applied: boolean
}

export function editsText(key: string): boolean {
  return key.length === 1 || key === 'Enter' || key === 'Backspace'
}

export class PaintProbe {
  samples: KeySample[] = []
  missed = 0
  private waiting: Waiting[] = []
  /** Bumped by `reset()`, so frames requested before it record nothing. */
  private generation = 0

  constructor(
    private readonly clock: FrameScheduler,
    private readonly timeoutMs = 1000,
  ) {}

  /** From a capturing `keydown` listener. */
  keydown(key: string, timeStamp: number) {
    if (!editsText(key)) return
    this.waiting.push({ key, downAt: timeStamp, handledAt: this.clock.now(), applied: false })
  }

  /** From the editor's change listener, once the edit is in its DOM. */
  edited() {
    const now = this.clock.now()
    const batch: Waiting[] = []
    for (const w of this.waiting) {
      if (w.applied) continue
      w.applied = true
      if (now - w.downAt > this.timeoutMs) this.missed += 1
      else batch.push(w)
    }
    this.waiting = this.waiting.filter((w) => !w.applied || batch.includes(w))
    if (batch.length === 0) return
    const generation = this.generation
    this.clock.frame(() =>
      this.clock.afterFrame(() => {
        if (generation !== this.generation) return
        const end = this.clock.now()
        for (const w of batch) {
          this.samples.push({ key: w.key, latencyMs: end - w.downAt, queuedMs: w.handledAt - w.downAt })
        }
        this.waiting = this.waiting.filter((w) => !batch.includes(w))
      }),
    )
  }

  /** Keys still waiting for their edit or their frame. */
  get pending(): number {
    return this.waiting.length
  }

  reset() {
    this.generation += 1
    this.samples = []
    this.missed = 0
    this.waiting = []
  }
}

/** The browser's clocks: rAF, then a MessageChannel task. */
export function browserScheduler(): FrameScheduler {
  const channel = new MessageChannel()
  const queue: (() => void)[] = []
  channel.port1.onmessage = () => queue.shift()?.()
  return {
    frame: (run) => void requestAnimationFrame(() => run()),
    afterFrame: (run) => {
      queue.push(run)
      channel.port2.postMessage(null)
    },
    now: () => performance.now(),
  }
}
