import { describe, expect, it } from 'vitest'
import type { MirrorReport } from './bindings'
import type { MirrorView } from './commands.gen'
import { count, fullPath, heldMessage, lastRun, mirrorLine, reportSummary } from './mirrorLabels'

function view(over: Partial<MirrorView['status']> = {}, running = true, error: string | null = null): MirrorView {
  return {
    status: {
      folder: '/home/ana/Notes',
      last_run: '2026-12-07T10:00:00Z',
      files: 12,
      refused: [],
      held_deletes: null,
      ...over,
    },
    running,
    error,
  }
}

function report(over: Partial<MirrorReport> = {}): MirrorReport {
  return {
    folder: '/home/ana/Notes',
    written: 0,
    applied: 0,
    created: 0,
    moved: 0,
    trashed: 0,
    removed: 0,
    refused: [],
    held_deletes: null,
    ...over,
  }
}

describe('count', () => {
  it('says one or many', () => {
    expect(count(1, 'file')).toBe('1 file')
    expect(count(0, 'file')).toBe('0 files')
    expect(count(2, 'entry', 'entries')).toBe('2 entries')
  })
})

describe('mirrorLine', () => {
  it('is absent without a folder', () => {
    expect(mirrorLine(null)).toBeNull()
    expect(mirrorLine(view({ folder: null }))).toBeNull()
  })

  it('counts the files', () => {
    expect(mirrorLine(view())).toEqual({ text: 'Mirror: 12 files', tone: 'muted', title: '/home/ana/Notes' })
    expect(mirrorLine(view({ files: 1 }))?.text).toBe('Mirror: 1 file')
  })

  it('says a running mirror retries after a failed pass', () => {
    const error = 'the disk holding the Markdown folder /home/ana/Notes is full, so the mirror cannot go on'
    expect(mirrorLine(view({}, true, error))).toEqual({
      text: 'Mirror: retrying',
      tone: 'warn',
      title: `/home/ana/Notes: ${error}`,
    })
  })

  it('warns about refused files', () => {
    const refused = [
      { path: 'pages/a.md', reason: 'bad front matter' },
      { path: 'pages/b.md', reason: 'bad front matter' },
    ]
    expect(mirrorLine(view({ refused }))).toMatchObject({ text: 'Mirror: 2 refused', tone: 'warn' })
  })

  it('warns about deletions the guard holds, before refused files', () => {
    const line = mirrorLine(
      view({ held_deletes: { gone: 7, known: 8 }, refused: [{ path: 'pages/a.md', reason: 'bad front matter' }] }),
    )
    expect(line).toMatchObject({ text: 'Mirror: 7 deletions held', tone: 'warn' })
    expect(line?.title).toContain('7 of 8 mirrored files disappeared')
  })

  it('says when the background mirror stopped on an error', () => {
    const line = mirrorLine(view({}, false, 'the folder is gone'))
    expect(line).toMatchObject({ text: 'Mirror stopped', tone: 'warn' })
    expect(line?.title).toContain('the folder is gone')
    // Running with an error: its last pass failed (the shell clears the error when the
    // mirror restarts) and it retries.
    expect(mirrorLine(view({}, true, 'the disk is full'))?.text).toBe('Mirror: retrying')
  })
})

describe('reportSummary', () => {
  it('says when nothing happened', () => {
    expect(reportSummary(report())).toBe('Nothing to do: the folder and the workspace hold the same.')
  })

  it('lists what a pass did, capitalised', () => {
    expect(reportSummary(report({ written: 3, applied: 1 }))).toBe('Wrote 3 files, applied 1 edited file.')
    expect(reportSummary(report({ created: 2, refused: [{ path: 'x.md', reason: 'r' }] }))).toBe(
      'Added 2 new files, refused 1 file.',
    )
    expect(reportSummary(report({ trashed: 1, removed: 2, moved: 1 }))).toBe(
      'Followed 1 move, trashed 1 object whose file was deleted, removed 2 files of trashed objects.',
    )
  })
})

describe('heldMessage', () => {
  it('says how many vanished and that nothing was trashed', () => {
    const text = heldMessage({ gone: 30, known: 40 })
    expect(text).toContain('30 of 40 mirrored files')
    expect(text).toContain('Nothing was trashed')
  })
})

describe('fullPath', () => {
  it('joins the folder and the relative path', () => {
    expect(fullPath('/home/ana/Notes', 'pages/a.md')).toBe('/home/ana/Notes/pages/a.md')
    expect(fullPath('/home/ana/Notes/', 'pages/a.md')).toBe('/home/ana/Notes/pages/a.md')
  })

  it('keeps a path that is already whole, or has no folder', () => {
    expect(fullPath('/home/ana/Notes', '/tmp/a.md')).toBe('/tmp/a.md')
    expect(fullPath(null, 'pages/a.md')).toBe('pages/a.md')
  })
})

describe('lastRun', () => {
  const NOW = Date.parse('2026-12-07T10:00:00Z')
  it('says when, or that it has not run', () => {
    expect(lastRun('2026-12-07T09:59:50Z', NOW)).toBe('just now')
    expect(lastRun('2026-12-07T09:55:00Z', NOW)).toBe('5 min ago')
    expect(lastRun(null, NOW)).toBe('not yet')
  })
})
