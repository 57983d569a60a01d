import { randomUUID } from 'node:crypto';
import { ConflictError, type JsonValue, type StateStore, ValidationError } from '@q-store/core';
import { abortErrorFor, encodeStateValue, validateId } from '@q-store/core/backend';
import { PLACEHOLDER_VECTOR, QdrantStore, type QdrantStoreOptions } from './store-base.js';

/** Writers remembered per document: how far back a writer can confirm that its write landed. */
export const STATE_WRITER_HISTORY = 32;
/** Attempts of one compare-and-set before a ConflictError. */
const MAX_ATTEMPTS = 64;
/** Documents remembered per instance as the starting guess of a write. */
const SEEN_KEYS = 10_000;

interface Doc {
  key: string;
  /** The value as JSON text (exact: Qdrant never reinterprets it). */
  json?: string;
  /** Client clock, ms since the epoch; absent: no TTL. */
  expires_at?: number;
  /** Deleted (a tombstone, so the version chain survives a delete). */
  deleted: boolean;
  /** Increases by one with every write. */
  version: number;
  /** Nonces of the last writes, newest last. */
  writers: string[];
  /** When the document was written, client clock (tombstones are purged after a grace period). */
  written_at: number;
}

function checkTtl(ttlMs: unknown): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new ValidationError(
      [{ field: 'ttlMs', message: `must be a positive number, got ${String(ttlMs)}` }],
      'Invalid TTL',
    );
  }
  return ttlMs;
}

/** A key's live value as an operation sees it. */
interface State {
  json: string;
  expiresAt?: number;
}

interface Outcome<R> {
  state: State | undefined;
  result: R;
}

interface Op {
  op: (current: State | undefined) => Outcome<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
}

const live = (doc: Doc | undefined, now: number): doc is Doc & { json: string } =>
  doc !== undefined && !doc.deleted && doc.json !== undefined && (doc.expires_at === undefined || doc.expires_at > now);

/**
 * StateStore on a Qdrant collection (default `qstore-state`): one point per key, its payload the
 * document `{key, json, expires_at?, deleted, version, writers, written_at}`.
 *
 * **Compare-and-set on Qdrant.** Qdrant has no transactions, but an upsert can be conditional:
 * `update_mode: 'insert_only'` writes only a point that does not exist, and `update_mode:
 * 'update_only'` with `update_filter: {version = v}` replaces only the version that was read (Qdrant
 * applies a shard's updates one at a time, so the check and the write are one step). Every write —
 * `set`, `update`, `delete` — is such a conditional write of version v + 1 carrying a fresh nonce,
 * appended to the last {@link STATE_WRITER_HISTORY} writers. Qdrant does not say whether a
 * conditional upsert matched, so the writer reads the point back: its nonce in `writers` means it
 * landed (exactly once); otherwise another writer won and `fn` runs again on the new value. If more
 * than that many writes came in between, the outcome cannot be confirmed and the call fails with a
 * ConflictError instead of guessing. A write starts from the document this instance saw last (no
 * read first; a stale guess fails the condition and costs one retry), so a steady-state write is two
 * requests; when that first guess was stale, a gap of that many writes is read as "did not land". A delete leaves a tombstone (so versions never restart);
 * `purgeTombstones()` removes those older than a minute. Within one instance, calls on one key are
 * queued, so conditional writes only contend across instances and processes.
 *
 * TTLs use this process's clock (`Date.now`): `expires_at = now + ttlMs`, an expired key reads as
 * absent. Keys: non-empty strings of at most 512 characters, stored verbatim in the payload.
 */
export class QdrantStateStore extends QdrantStore implements StateStore {
  readonly #queues = new Map<string, Op[]>();
  readonly #now: () => number;
  readonly #seen = new Map<string, Doc | null>();

  constructor(options: QdrantStoreOptions & { now?: () => number }) {
    super(options, 'qstore-state', 'QdrantStateStore', ['key']);
    this.#now = options.now ?? Date.now;
  }

  private async read(key: string, signal?: AbortSignal): Promise<Doc | undefined> {
    const [point] = await this.call(
      'read',
      (c) => c.retrieve(this.collectionName, { ids: [this.pointId(key)], with_payload: true, with_vector: false }),
      signal,
    );
    return point ? (point.payload as unknown as Doc) : undefined;
  }

  /**
   * Queues one operation on a key. The operations queued on one key while a write is under way are
   * applied together, in order, by one compare-and-set round (one read, one conditional write, one
   * read back): linearizable, and 200 concurrent updates in one process cost a few rounds, not 200.
   */
  private write<R>(key: string, op: (current: State | undefined) => Outcome<R>, signal?: AbortSignal): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let queue = this.#queues.get(key);
      if (!queue) {
        queue = [];
        this.#queues.set(key, queue);
      }
      queue.push({ op, resolve: resolve as Op['resolve'], reject, signal });
      if (queue.length === 1) void this.drain(key, queue);
    });
  }

  private async drain(key: string, queue: Op[]): Promise<void> {
    while (queue.length > 0) {
      const batch = [...queue];
      // Calls whose signal fired before the round are aborted without being applied.
      const active = batch.filter((entry) => {
        if (!entry.signal?.aborted) return true;
        entry.reject(abortErrorFor(entry.signal));
        return false;
      });
      try {
        const results = await this.casRound(key, active);
        for (const [i, entry] of active.entries()) {
          const r = results[i] as { ok: true; value: unknown } | { ok: false; error: unknown };
          if (r.ok) entry.resolve(r.value);
          else entry.reject(r.error);
        }
      } catch (error) {
        for (const entry of active) entry.reject(error);
      }
      queue.splice(0, batch.length);
    }
    this.#queues.delete(key);
  }

  /** The document as last read by this instance (a guess for the next write: a wrong guess only costs a retry). */
  private remember(key: string, doc: Doc | undefined): void {
    this.#seen.delete(key);
    this.#seen.set(key, doc ?? null);
    if (this.#seen.size > SEEN_KEYS) this.#seen.delete(this.#seen.keys().next().value as string);
  }

  /**
   * Applies the operations in order to the stored state with one conditional write, retried on
   * conflict. The state starts from the document this instance saw last (no read when it has one);
   * the read back after the write is the next attempt's state when another writer won.
   */
  private async casRound(
    key: string,
    ops: Op[],
  ): Promise<Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>> {
    // known: the document's state was read from Qdrant at some point; fresh: read for this attempt.
    let known = this.#seen.has(key);
    let fresh = false;
    let stored = this.#seen.get(key) ?? undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.#now();
      let state: State | undefined = live(stored, now)
        ? { json: stored.json, ...(stored.expires_at !== undefined && { expiresAt: stored.expires_at }) }
        : undefined;
      const results = ops.map((entry) => {
        try {
          const outcome = entry.op(state);
          state = outcome.state;
          return { ok: true as const, value: outcome.result };
        } catch (error) {
          return { ok: false as const, error };
        }
      });
      const next = state as State | undefined;
      if ((stored === undefined || stored.deleted) && next === undefined) {
        if (known) return results; // nothing stored, nothing to store
        stored = await this.read(key);
        known = true;
        fresh = true;
        this.remember(key, stored);
        continue;
      }
      const nonce = randomUUID();
      const version = (stored?.version ?? 0) + 1;
      const doc: Doc = {
        key,
        deleted: next === undefined,
        version,
        writers: [...(stored?.writers ?? []), nonce].slice(-STATE_WRITER_HISTORY),
        written_at: now,
        ...(next !== undefined && { json: next.json }),
        ...(next?.expiresAt !== undefined && { expires_at: next.expiresAt }),
      };
      const expected = stored;
      await this.call('write', (c) =>
        c.upsert(this.collectionName, {
          wait: true,
          points: [
            { id: this.pointId(key), vector: PLACEHOLDER_VECTOR, payload: doc as unknown as Record<string, unknown> },
          ],
          ...(expected === undefined
            ? { update_mode: 'insert_only' as const }
            : {
                update_mode: 'update_only' as const,
                update_filter: { must: [{ key: 'version', match: { value: expected.version } }] },
              }),
        }),
      );
      const after = await this.read(key);
      this.remember(key, after);
      if (after?.writers?.includes(nonce)) return results;
      if (after !== undefined && fresh && after.version >= version + STATE_WRITER_HISTORY - 1) {
        throw new ConflictError(
          `QdrantStateStore: could not confirm the write of key '${key}' (${after.version - version} writes came in between)`,
        );
      }
      // Another writer got there first (or the guess was stale): apply the operations to what is there.
      stored = after;
      if (fresh) await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
      known = true;
      fresh = true;
    }
    throw new ConflictError(`QdrantStateStore: key '${key}' kept changing; gave up after ${MAX_ATTEMPTS} attempts`);
  }

  get<T extends JsonValue>(key: string, options: { signal?: AbortSignal } = {}): Promise<T | undefined> {
    return this.run(options.signal, async () => {
      const checked = validateId(key, 'key');
      const doc = await this.read(checked, options.signal);
      this.remember(checked, doc);
      return live(doc, this.#now()) ? (JSON.parse(doc.json) as T) : undefined;
    });
  }

  set<T extends JsonValue>(
    key: string,
    value: T,
    options: { ttlMs?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    return this.run(options.signal, async () => {
      const checked = validateId(key, 'key');
      const ttl = checkTtl(options.ttlMs);
      const json = encodeStateValue(value);
      await this.write(
        checked,
        () => ({ state: { json, ...(ttl !== undefined && { expiresAt: this.#now() + ttl }) }, result: undefined }),
        options.signal,
      );
    });
  }

  update<T extends JsonValue>(
    key: string,
    fn: (current: T | undefined) => T | undefined,
    options: { signal?: AbortSignal } = {},
  ): Promise<T | undefined> {
    return this.run(options.signal, async () => {
      const checked = validateId(key, 'key');
      return this.write(
        checked,
        (current) => {
          const value = fn(current === undefined ? undefined : (JSON.parse(current.json) as T));
          if (value === undefined) return { state: undefined, result: undefined };
          // Keeps the key's time to live, as the memory store does.
          const expiresAt = current?.expiresAt;
          return {
            state: { json: encodeStateValue(value), ...(expiresAt !== undefined && { expiresAt }) },
            result: value,
          };
        },
        options.signal,
      );
    });
  }

  delete(key: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    return this.run(options.signal, async () => {
      const checked = validateId(key, 'key');
      return this.write(checked, (current) => ({ state: undefined, result: current !== undefined }), options.signal);
    });
  }

  /** Live keys with the prefix (checked on the client, literally), in no particular order. */
  async *keys(options: { prefix?: string; signal?: AbortSignal } = {}): AsyncIterable<string> {
    const prefix = options.prefix ?? '';
    if (typeof prefix !== 'string') throw new ValidationError([{ field: 'prefix', message: 'must be a string' }]);
    const pages = await this.run(options.signal, async () =>
      this.scrollAll('keys', { must_not: [{ key: 'deleted', match: { value: true } }] }, true, options.signal),
    );
    const now = this.#now();
    for await (const point of pages) {
      const doc = point.payload as unknown as Doc;
      if (live(doc, now) && doc.key.startsWith(prefix)) yield doc.key;
    }
  }

  /**
   * Deletes tombstones and expired documents written more than `graceMs` ago (default one minute;
   * the grace keeps a writer that is confirming its write from seeing its document vanish).
   * Returns how many were removed (counted just before).
   */
  purgeTombstones(options: { graceMs?: number; signal?: AbortSignal } = {}): Promise<number> {
    return this.run(options.signal, async () => {
      const before = this.#now() - (options.graceMs ?? 60_000);
      const filter = {
        must: [{ key: 'written_at', range: { lt: before } }],
        should: [
          { key: 'deleted', match: { value: true } },
          { key: 'expires_at', range: { lt: this.#now() } },
        ],
      };
      const { count } = await this.call(
        'purge',
        (c) => c.count(this.collectionName, { filter, exact: true }),
        options.signal,
      );
      if (count > 0) {
        await this.call('purge', (c) => c.delete(this.collectionName, { wait: true, filter }), options.signal);
      }
      return count;
    });
  }
}
