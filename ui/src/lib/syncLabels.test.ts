import { describe, expect, it } from 'vitest'
import type { LanPeer, SyncStatus } from './bindings'
import { ago, peerReason, shortDevice, syncLine } from './syncLabels'

const NOW = Date.parse('2026-11-30T12:00:00Z')

function peer(over: Partial<LanPeer> = {}): LanPeer {
  return {
    device: '3f2a9c1e5b7d4a60',
    member: 'Bo',
    how: 'mdns',
    addr: '192.168.1.20:7448',
    last_seen: '2026-11-30T11:59:58Z',
    last_synced: '2026-11-30T11:59:50Z',
    refused: null,
    has_all_mine: true,
    ...over,
  }
}

function status(over: Partial<SyncStatus> = {}): SyncStatus {
  return {
    device: '9a8b7c6d',
    relay: 'ws://127.0.0.1:7447/sync',
    pending: 0n,
    unsealed_documents: 0n,
    last_contact: '2026-11-30T11:59:00Z',
    synced: true,
    reason: null,
    via: 'the relay',
    set_aside: null,
    ...over,
  }
}

describe('a device on the local network', () => {
  it('says how it was met and when both last held the same', () => {
    expect(peerReason(peer(), NOW)).toEqual({
      text: 'same network, found at 192.168.1.20:7448, synced 10 s ago',
      warning: false,
    })
    expect(peerReason(peer({ how: 'address', addr: '127.0.0.1:7448' }), NOW).text).toBe(
      'found at 127.0.0.1:7448, synced 10 s ago',
    )
    expect(peerReason(peer({ how: 'inbound', last_synced: '2026-11-30T11:30:00Z' }), NOW).text).toBe(
      'connected here, synced 30 min ago',
    )
    expect(peerReason(peer({ how: 'inbound', last_synced: null }), NOW).text).toBe('connected here, never synced')
  })
  it('shows a refusal as a warning, whatever else is known', () => {
    expect(peerReason(peer({ refused: 'not a member of this workspace' }), NOW)).toEqual({
      text: 'Refused: not a member of this workspace',
      warning: true,
    })
    expect(peerReason(peer({ refused: 'removed from this workspace', last_synced: null }), NOW)).toEqual({
      text: 'Refused: removed from this workspace',
      warning: true,
    })
  })
  it('counts seconds in the first minute, then minutes and hours', () => {
    expect(ago('2026-11-30T12:00:00Z', NOW)).toBe('0 s ago')
    // A peer's clock may run a little ahead: never "in 2 s".
    expect(ago('2026-11-30T12:00:02Z', NOW)).toBe('0 s ago')
    expect(ago('2026-11-30T11:59:01Z', NOW)).toBe('59 s ago')
    expect(ago('2026-11-30T09:00:00Z', NOW)).toBe('3 h ago')
    expect(ago('not a time', NOW)).toBe('')
    expect(shortDevice('3f2a9c1e5b7d4a60')).toBe('3f2a9c1e')
  })
})

describe('the status bar', () => {
  it('names a device on the local network when it is the route that holds everything', () => {
    expect(syncLine(status({ via: "Bo's device 3f2a9c1e on the local network" }))).toEqual({
      text: "Synced with Bo's device 3f2a9c1e on the local network",
      tone: 'ok',
      title: 'ws://127.0.0.1:7447/sync',
    })
    // Synced over the local network only, with no relay set.
    expect(syncLine(status({ relay: null, via: "Bo's device 3f2a9c1e on the local network" })).text).toBe(
      "Synced with Bo's device 3f2a9c1e on the local network",
    )
  })
  it('is unchanged otherwise', () => {
    expect(syncLine(status())).toEqual({ text: 'Synced', tone: 'ok', title: 'ws://127.0.0.1:7447/sync' })
    expect(syncLine(status({ via: null }))).toMatchObject({ text: 'Synced', tone: 'ok' })
    expect(syncLine(null)).toMatchObject({ text: 'Local only · not syncing', tone: 'muted' })
    expect(syncLine(status({ relay: null, synced: false, via: null }))).toMatchObject({
      text: 'Local only · not syncing',
    })
    expect(
      syncLine(status({ synced: false, via: null, pending: 3n, reason: 'the relay at ws://… is unreachable' })),
    ).toEqual({ text: 'Not synced · 3 pending', tone: 'warn', title: 'the relay at ws://… is unreachable' })
  })
})
