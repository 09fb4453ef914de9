// What the B8 page exposes to the WebDriver client as `window.meridianBench`.

export type Mode = 'engine' | 'plain'

export interface BenchResult {
  mode: Mode
  /** keydown → end of the frame that shows the key, ms, in typing order. */
  latencies: number[]
  /** keydown → the page's capturing listener ran, ms. */
  queued: number[]
  /** Keys whose edit or frame never came. */
  missed: number
  /** Engine mode: each `edit_page_body` call from send to acknowledgement (IPC + durable commit). */
  saves: number[]
  /** The text at the end: the engine's stored body, or the plain string. */
  text: string
}

export interface BenchControl {
  ready: boolean
  error: string | null
  /** Drops what was measured so far (after the warm-up keys). */
  reset(): void
  /** Waits for the last frame (and, in engine mode, every write) and reports. */
  finish(): Promise<BenchResult>
}
