// Sync in words: how a device on the local network was met and how it stands, and what the
// status bar says. The engine decides (synced or not, who holds this device's changes); these
// only phrase its answers.

import type { LanPeer, SyncStatus } from './bindings'
import { fromNow } from './time'

/** What the engine's `via` says when the relay holds everything this device made. */
export const VIA_RELAY = 'the relay'

/** The first 8 characters of a device id, as the engine writes it in messages. */
export function shortDevice(id: string): string {
  return id.slice(0, 8)
}

/** How long ago `instant` was: seconds within the first minute (`10 s ago`), then `fromNow`. */
export function ago(instant: string, now: number = Date.now()): string {
  const t = Date.parse(instant)
  if (Number.isNaN(t)) return ''
  const seconds = Math.max(0, Math.round((now - t) / 1000))
  return seconds < 60 ? `${seconds} s ago` : fromNow(instant, now)
}

/** A peer's line of explanation, and whether it is a warning (the session was refused). */
export interface PeerReason {
  text: string
  warning: boolean
}

/** Why a device on the local network is listed, and how it stands with this one: how it was
 * met (announced on the same network, dialled at an address, or it connected here) and when
 * both last held the same, or the refusal. */
export function peerReason(peer: LanPeer, now: number = Date.now()): PeerReason {
  if (peer.refused) return { text: `Refused: ${peer.refused}`, warning: true }
  const met =
    peer.how === 'mdns'
      ? `same network, found at ${peer.addr}`
      : peer.how === 'inbound'
        ? 'connected here'
        : `found at ${peer.addr}`
  const synced = peer.last_synced ? `synced ${ago(peer.last_synced, now)}` : 'never synced'
  return { text: `${met}, ${synced}`, warning: false }
}

/** What the status bar shows for sync, its tone, and the tooltip. */
export interface SyncLine {
  text: string
  tone: 'muted' | 'ok' | 'warn'
  title: string
}

/** The status bar's sync item. A device on the local network that holds everything this one
 * made is named; the relay is not (plain "Synced"). */
export function syncLine(status: SyncStatus | null): SyncLine {
  if (status?.synced && status.via && status.via !== VIA_RELAY) {
    return { text: `Synced with ${status.via}`, tone: 'ok', title: status.relay ?? '' }
  }
  if (!status || !status.relay) {
    return {
      text: 'Local only · not syncing',
      tone: 'muted',
      title: 'Create an invite under Devices & sync to start syncing',
    }
  }
  if (status.synced) return { text: 'Synced', tone: 'ok', title: status.relay }
  return { text: `Not synced · ${status.pending} pending`, tone: 'warn', title: status.reason ?? '' }
}
