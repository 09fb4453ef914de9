import { describe, expect, it } from 'vitest'
import { PaintProbe, type FrameScheduler } from './paintProbe'

/** A hand-driven clock: `renderFrame()` runs the frame callbacks, then the tasks they post. */
function fakeClock() {
  let t = 0
  let frames: (() => void)[] = []
  let tasks: (() => void)[] = []
  const clock: FrameScheduler = {
    frame: (run) => void frames.push(run),
    afterFrame: (run) => void tasks.push(run),
    now: () => t,
  }
  return {
    clock,
    advance(ms: number) {
      t += ms
    },
    renderFrame(renderMs: number) {
      const f = frames
      frames = []
      f.forEach((run) => run())
      t += renderMs
      const q = tasks
      tasks = []
      q.forEach((run) => run())
    },
  }
}

describe('PaintProbe', () => {
  it('measures from keydown to the end of the frame after the edit', () => {
    const c = fakeClock()
    const probe = new PaintProbe(c.clock)
    c.advance(100)
    probe.keydown('a', 98) // queued 2 ms before the listener ran
    c.advance(3)
    probe.edited()
    c.advance(5)
    c.renderFrame(4)
    expect(probe.samples).toEqual([{ key: 'a', latencyMs: 14, queuedMs: 2 }])
    expect(probe.pending).toBe(0)
  })

  it('waits for the edit: a frame before it measures nothing', () => {
    const c = fakeClock()
    const probe = new PaintProbe(c.clock)
    probe.keydown('b', 0)
    c.renderFrame(1) // nothing was requested yet
    expect(probe.samples).toEqual([])
    c.advance(10)
    probe.edited()
    c.renderFrame(2)
    expect(probe.samples.map((s) => s.latencyMs)).toEqual([13])
  })

  it('gives keys typed within one frame that frame', () => {
    const c = fakeClock()
    const probe = new PaintProbe(c.clock)
    probe.keydown('x', 0)
    c.advance(1)
    probe.edited()
    c.advance(2)
    probe.keydown('y', 3)
    c.advance(1)
    probe.edited()
    c.renderFrame(6)
    expect(probe.samples.map((s) => [s.key, s.latencyMs])).toEqual([
      ['x', 10],
      ['y', 7],
    ])
  })

  it('ignores keys that do not edit and counts a key whose edit never came as missed', () => {
    const c = fakeClock()
    const probe = new PaintProbe(c.clock, 500)
    probe.keydown('Shift', 0)
    probe.keydown('ArrowLeft', 0)
    probe.keydown('q', 0)
    c.advance(2000)
    probe.keydown('Enter', 2000)
    probe.edited()
    c.renderFrame(5)
    expect(probe.missed).toBe(1)
    expect(probe.samples.map((s) => [s.key, s.latencyMs])).toEqual([['Enter', 5]])
  })

  it('starts over on reset', () => {
    const c = fakeClock()
    const probe = new PaintProbe(c.clock)
    probe.keydown('a', 0)
    probe.edited()
    c.renderFrame(1)
    probe.keydown('b', 1)
    probe.edited() // its frame is still to come when the run starts over
    probe.reset()
    c.renderFrame(1)
    expect(probe.samples).toEqual([])
    expect(probe.pending).toBe(0)
  })
})
