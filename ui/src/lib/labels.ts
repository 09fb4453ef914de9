import type { DecisionStatus, Kind } from './bindings'

/** The verb on the button that moves a decision to `status`. */
export function transitionLabel(from: DecisionStatus, to: DecisionStatus): string {
  switch (to) {
    case 'draft':
      return 'Back to draft'
    case 'proposed':
      return from === 'rejected' ? 'Propose again' : 'Propose'
    case 'accepted':
      return 'Accept'
    case 'rejected':
      return 'Reject'
    case 'deprecated':
      return 'Deprecate'
    case 'superseded':
      return 'Mark superseded'
  }
}

export function statusLabel(status: string): string {
  return status.charAt(0).toUpperCase() + status.slice(1).replaceAll('_', ' ')
}

export function kindLabel(kind: Kind, plural = false): string {
  const names: Record<Kind, [string, string]> = {
    workspace: ['Workspace', 'Workspaces'],
    member: ['Member', 'Members'],
    charter: ['Charter', 'Charters'],
    page: ['Page', 'Pages'],
    decision: ['Decision', 'Decisions'],
    meeting: ['Meeting', 'Meetings'],
    thread: ['Thread', 'Threads'],
    checkin: ['Check-in', 'Check-ins'],
    task: ['Task', 'Tasks'],
  }
  return names[kind][plural ? 1 : 0]
}

/** "3 min ago", "yesterday", or a date, for list rows. */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const t = new Date(iso)
  const s = Math.round((now.getTime() - t.getTime()) / 1000)
  if (Number.isNaN(s)) return ''
  if (s < 45) return 'just now'
  const m = Math.round(s / 60)
  if (m < 60) return `${m} min ago`
  const h = Math.round(m / 60)
  if (h < 24) return `${h} h ago`
  const d = Math.round(h / 24)
  if (d === 1) return 'yesterday'
  if (d < 7) return `${d} days ago`
  return t.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
}

/** My local time in my zone, e.g. "14:05 Europe/Berlin". */
export function localTime(tz: string, now: Date = new Date()): string {
  try {
    return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone: tz }).format(now)
  } catch {
    return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(now)
  }
}
