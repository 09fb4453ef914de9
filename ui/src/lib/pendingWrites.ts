// Writes still on their way to the engine, per document. An editor opened on a document
// waits for them first, so it never loads a text its own earlier keystrokes have not
// reached yet.

const pending = new Map<string, Set<() => Promise<void>>>()

export function track(id: string, flush: () => Promise<void>): () => void {
  let set = pending.get(id)
  if (!set) pending.set(id, (set = new Set()))
  set.add(flush)
  return () => {
    set.delete(flush)
    if (set.size === 0) pending.delete(id)
  }
}

export async function settled(id: string): Promise<void> {
  const flushes = [...(pending.get(id) ?? [])]
  await Promise.allSettled(flushes.map((f) => f()))
}
