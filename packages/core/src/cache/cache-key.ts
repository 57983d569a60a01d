import { createHash } from 'node:crypto';
import type { CacheBackend } from '../stores/stores.js';

/**
 * JSON with object keys sorted, so that equal values give equal text whatever the key order. Used
 * for the parts of a cache key that are plain data (the parsed filter AST, flags).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** SHA-256 (base64url) of a canonical JSON head and optional raw bytes (a query vector, exactly). */
export function hashKey(head: unknown, bytes?: Float32Array): string {
  const hash = createHash('sha256').update(canonicalJson(head));
  if (bytes) hash.update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return hash.digest('base64url');
}

/** How often remembered generation bumps are retried while any is pending, in ms. */
export const BUMP_RETRY_INTERVAL_MS = 1000;

interface PendingBumps {
  scopes: Set<string>;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Scopes whose generation bump failed (Redis was down or slow when a write landed), per cache
 * object, shared by every wrapper in this process that uses that cache. While a scope is here its
 * cached entries may be stale, so reads of it from this process bypass the cache. The bump is
 * retried before each read of the scope, each time the cache reconnects (when it offers
 * `onReady`, as RedisCache does) and every {@link BUMP_RETRY_INTERVAL_MS}; a successful bump removes
 * the scope. Other processes see the write once a retry succeeds.
 */
const unbumped = new WeakMap<CacheBackend, PendingBumps>();

function pendingOf(cache: CacheBackend): PendingBumps {
  let pending = unbumped.get(cache);
  if (!pending) {
    pending = { scopes: new Set(), timer: undefined };
    unbumped.set(cache, pending);
    const onReady = (cache as { onReady?: unknown }).onReady;
    if (typeof onReady === 'function') {
      onReady.call(cache, () => {
        retryPendingBumps(cache).catch(() => undefined);
      });
    }
  }
  return pending;
}

export function unbumpedScopes(cache: CacheBackend): Set<string> {
  return pendingOf(cache).scopes;
}

/** Retries every remembered bump of the cache; returns how many still fail. */
export function retryPendingBumps(cache: CacheBackend): Promise<number> {
  const scopes = pendingOf(cache).scopes;
  return scopes.size === 0 ? Promise.resolve(0) : bumpScopes(cache, [...scopes]);
}

/** Keeps a timer retrying the remembered bumps while there are any (it does not keep Node alive). */
function scheduleRetries(cache: CacheBackend, pending: PendingBumps, closed: boolean): void {
  if (pending.scopes.size === 0 || closed) {
    clearInterval(pending.timer);
    pending.timer = undefined;
    return;
  }
  if (pending.timer) return;
  pending.timer = setInterval(() => {
    retryPendingBumps(cache).catch(() => undefined);
  }, BUMP_RETRY_INTERVAL_MS);
  pending.timer.unref();
}

/**
 * Bumps each scope; a scope whose bump fails is remembered (see {@link unbumpedScopes}). Never
 * throws: the write this follows has landed and its result must reach the caller. Returns how many
 * bumps failed.
 */
export async function bumpScopes(cache: CacheBackend, scopes: readonly string[]): Promise<number> {
  const pending = pendingOf(cache);
  let failed = 0;
  let closed = false;
  await Promise.all(
    scopes.map(async (scope) => {
      try {
        await cache.bumpGeneration(scope);
        pending.scopes.delete(scope);
      } catch (error) {
        pending.scopes.add(scope);
        if ((error as { code?: unknown }).code === 'CLOSED') closed = true;
        failed++;
      }
    }),
  );
  scheduleRetries(cache, pending, closed);
  return failed;
}

/**
 * The generations of the scopes joined by '.', for a cache key; undefined when the cache cannot be
 * trusted right now (a failed earlier bump that still fails, Redis down or slow). Throws only the
 * caller's abort.
 */
export async function readGenerations(
  cache: CacheBackend,
  scopes: readonly string[],
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  const pending = unbumpedScopes(cache);
  try {
    const retry = scopes.filter((s) => pending.has(s));
    if (retry.length > 0 && (await bumpScopes(cache, retry)) > 0) return undefined;
    const generations = await Promise.all(scopes.map((scope) => cache.generation(scope, { signal })));
    return generations.join('.');
  } catch (error) {
    if (signal?.aborted) throw error;
    return undefined;
  }
}
