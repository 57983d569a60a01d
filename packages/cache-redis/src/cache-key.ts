import { createHash } from 'node:crypto';
import type { CacheBackend } from '@q-store/core';

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

/**
 * Scopes whose generation bump failed (Redis was down or slow when a write landed), per cache
 * object, shared by every wrapper in this process that uses that cache. While a scope is here its
 * cached entries may be stale, so reads of it bypass the cache; each read first retries the bump,
 * and a successful bump removes the scope.
 */
const unbumped = new WeakMap<CacheBackend, Set<string>>();

export function unbumpedScopes(cache: CacheBackend): Set<string> {
  let set = unbumped.get(cache);
  if (!set) {
    set = new Set();
    unbumped.set(cache, set);
  }
  return set;
}

/**
 * Bumps each scope; a scope whose bump fails is remembered (see {@link unbumpedScopes}). Never
 * throws: the write this follows has landed and its result must reach the caller. Returns how many
 * bumps failed.
 */
export async function bumpScopes(cache: CacheBackend, scopes: readonly string[]): Promise<number> {
  const pending = unbumpedScopes(cache);
  let failed = 0;
  await Promise.all(
    scopes.map(async (scope) => {
      try {
        await cache.bumpGeneration(scope);
        pending.delete(scope);
      } catch {
        pending.add(scope);
        failed++;
      }
    }),
  );
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
