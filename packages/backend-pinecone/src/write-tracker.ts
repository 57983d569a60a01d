import { isPlainObject } from '@q-store/core/backend';

/** How many recent writes a backend remembers for `waitForVisibility`. */
export const WRITE_TRACKING_LIMIT = 100_000;

/** JSON with object keys sorted, so two equal metadata objects compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isPlainObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** A record's content as one number: FNV-1a over its float32 bits, then its canonical metadata JSON. */
export function fingerprint(values: Float32Array, metadata: unknown): number {
  let h = 0x811c9dc5;
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ (bits[i] as number), 0x01000193);
  const text = canonical(metadata ?? {});
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** What a write left a record as: its fingerprint, or null for "absent" (deleted, or not there). */
export type WrittenState = number | null;

interface Entry {
  /** States the record may be in after this backend's writes: one after sequential writes, several after overlapping ones. */
  states: WrittenState[];
  /** Writes of the record in flight. */
  active: number;
  /** The next completed write replaces `states` (it began when no other was in flight). */
  replaces: boolean;
}

/**
 * Remembers what this backend's recent writes left each record as, so that a visibility wait with
 * ids only knows which version to wait for. Writes of one id that overlap in time may land in
 * either order on the server, so after them any of their states is accepted. At most
 * {@link WRITE_TRACKING_LIMIT} ids, the oldest forgotten first.
 */
export class WriteTracker {
  private readonly entries = new Map<string, Entry>();

  private static key(namespace: string, id: string): string {
    return `${namespace}\u0000${id}`;
  }

  /** Marks writes of `ids` as started; call {@link end} for each when it settles. */
  begin(namespace: string, ids: Iterable<string>): void {
    for (const id of ids) {
      const key = WriteTracker.key(namespace, id);
      const entry = this.entries.get(key) ?? { states: [], active: 0, replaces: true };
      if (entry.active === 0) entry.replaces = true;
      entry.active++;
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    while (this.entries.size > WRITE_TRACKING_LIMIT) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** A write of `id` settled: `state` is what it left (undefined when it failed: unknown). */
  end(namespace: string, id: string, state: WrittenState | undefined): void {
    const entry = this.entries.get(WriteTracker.key(namespace, id));
    if (!entry) return;
    entry.active = Math.max(0, entry.active - 1);
    if (state === undefined) return;
    if (entry.replaces) {
      entry.states = [state];
      entry.replaces = false;
    } else if (!entry.states.includes(state)) {
      entry.states.push(state);
    }
  }

  /** The states a record may be in after this backend's writes, or undefined when it wrote none lately. */
  states(namespace: string, id: string): readonly WrittenState[] | undefined {
    const states = this.entries.get(WriteTracker.key(namespace, id))?.states;
    return states && states.length > 0 ? states : undefined;
  }

  /** Forgets a namespace (after a delete by filter or of everything). */
  forget(namespace: string): void {
    const prefix = WriteTracker.key(namespace, '');
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
