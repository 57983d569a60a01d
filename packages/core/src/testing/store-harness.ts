/**
 * What the StateStore, TrainingStore and CheckpointStore conformance suites share: the options
 * shape, a fresh scope per test, closing and cleaning up every store a test opened, and the
 * typed-error assertion.
 */

import { afterEach, expect } from 'vitest';
import { isQStoreError, type QStoreError, type QStoreErrorCode, type ValidationError } from '../shared/errors.js';
import { createRng } from '../shared/random.js';
import { namesField } from './error-fields.js';

/** Options every store suite takes. `S` is the store interface under test. */
export interface StoreConformanceOptions<S extends { close(): Promise<void> }> {
  /** Suite title, e.g. 'MemoryStateStore'. */
  name: string;
  /**
   * A store over the data named `scope`. Each test gets a fresh scope (lowercase letters, digits and
   * `_`, starting with a letter, at most 40 characters — usable as a schema name, key prefix or
   * directory name), so a fresh scope must give an empty store. For a persistent store, calling
   * again with the same scope opens a second handle on the same data (another connection); a store
   * that cannot declares so in its suite's `skip.sharedScope`.
   */
  create(scope: string): S | Promise<S>;
  /** Optional: called after each test, once its stores are closed (drop a schema, a key prefix, a directory). */
  cleanup?(scope: string): void | Promise<void>;
  /** Per-test timeout in ms for slow services (default: vitest's). */
  timeoutMs?: number;
}

// Scopes must be unique across runs against a shared service, so they are seeded from the clock.
const scopeRng = createRng((Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0);

function uniqueScope(kind: string): string {
  let token = '';
  for (let i = 0; i < 10; i++) token += '0123456789abcdefghijklmnopqrstuvwxyz'[scopeRng.int(0, 35)];
  return `qs_${kind}_${token}`;
}

/** Per test: `open()` creates a store in the test's scope; after the test every one is closed and the scope cleaned up. */
export interface StoreScope<S> {
  /** The current test's scope. */
  readonly scope: string;
  /** A store over the current test's scope (a second call: a second handle on the same data). */
  open(): Promise<S>;
}

/** Registers the afterEach hook that closes what each test opened and cleans its scope up. */
export function useStoreScope<S extends { close(): Promise<void> }>(
  options: StoreConformanceOptions<S>,
  kind: string,
): StoreScope<S> {
  let scope = '';
  let opened: S[] = [];
  afterEach(async () => {
    const stores = opened;
    const used = scope;
    opened = [];
    scope = '';
    await Promise.allSettled(stores.map((s) => s.close()));
    if (used !== '') await options.cleanup?.(used);
  }, options.timeoutMs);
  return {
    get scope() {
      if (scope === '') scope = uniqueScope(kind);
      return scope;
    },
    async open() {
      if (scope === '') scope = uniqueScope(kind);
      const store = await options.create(scope);
      opened.push(store);
      return store;
    },
  };
}

/**
 * Awaits `run` (a promise, or an async iterable that is drained) and expects a q-store error of the
 * code, naming each of `fields` (in `issues[].field` or in the message). Returns the error.
 */
export async function expectStoreError(
  run: Promise<unknown> | AsyncIterable<unknown> | (() => unknown),
  code: QStoreErrorCode,
  ...fields: string[]
): Promise<QStoreError> {
  let caught: unknown;
  let threw = false;
  try {
    const value = typeof run === 'function' ? run() : run;
    if (typeof value === 'object' && value !== null && Symbol.asyncIterator in value) {
      for await (const _ of value as AsyncIterable<unknown>) {
        // drain
      }
    } else {
      await value;
    }
  } catch (error) {
    threw = true;
    caught = error;
  }
  if (!threw) throw new Error(`expected a ${code} error, but the call succeeded`);
  if (!isQStoreError(caught)) throw new Error(`expected a q-store ${code} error, got ${String(caught)}`);
  expect(caught.code, caught.message).toBe(code);
  for (const field of fields) {
    const issues = JSON.stringify((caught as Partial<ValidationError>).issues ?? []);
    expect(namesField(caught, field), `error names '${field}': ${caught.message} ${issues}`).toBe(true);
  }
  return caught;
}

/** Every item of an async iterable, sorted. */
export async function collectSorted(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of iterable) out.push(item);
  return out.sort();
}

/** A signal that has already fired. */
export function abortedSignal(): AbortSignal {
  const controller = new AbortController();
  controller.abort();
  return controller.signal;
}

/** Float64 values a lossy encoding (decimal text, float32, JSON numbers) would change. */
export const TRICKY_FLOAT64: readonly number[] = [
  -0,
  0,
  5e-324,
  -2.2250738585072014e-308,
  1 / 3,
  Math.PI,
  -1.7976931348623157e308,
  Number.EPSILON,
  0.1 + 0.2,
  123456789.12345679,
];

/** True when two typed arrays hold the same bytes (so −0 ≠ 0). */
export function sameBits(a: Float64Array | Float32Array, b: Float64Array | Float32Array): boolean {
  if (a.length !== b.length || a.BYTES_PER_ELEMENT !== b.BYTES_PER_ELEMENT) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.every((v, i) => v === y[i]);
}
