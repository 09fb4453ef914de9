import { describe, expect, it } from 'vitest'
import { storageLine } from './storageLabels'

describe('storageLine', () => {
  it('is absent while everything is saved', () => {
    expect(storageLine(null)).toBeNull()
    expect(storageLine({ unsaved: 0, error: null })).toBeNull()
  })

  it('counts what waits in memory and says why', () => {
    const error = 'the disk holding /home/ana/.local/share/meridian/workspace.db is full; free some space'
    expect(storageLine({ unsaved: 1, error })).toEqual({
      text: 'Not saved: 1 change waits in memory',
      title: `${error} Keep Meridian open: they are saved as soon as the disk has room.`,
    })
    expect(storageLine({ unsaved: 3, error: null })?.text).toBe('Not saved: 3 changes wait in memory')
  })
})
