import type { Checkpoint, CheckpointInfo, CheckpointStore } from '@q-store/core';
import { IssueCollector } from '@q-store/core/backend';

/**
 * Saves a checkpoint (the seed's `save_checkpoint`) and returns its URI — a path-like address the
 * store understands (`file:///…/model/epoch-0007.json`, `pgvector://…`, `memory://…`). A thin,
 * documented alias of `store.save`, which validates (finite Float64 parameters, JSON optimizer
 * state, finite metrics) and writes atomically.
 */
export function saveCheckpoint(
  store: CheckpointStore,
  checkpoint: Checkpoint,
  options: { signal?: AbortSignal } = {},
): Promise<string> {
  return store.save(checkpoint, options);
}

/** Loads a checkpoint by URI (the seed's `load_checkpoint`); a NotFoundError when it is gone. */
export function loadCheckpoint(
  store: CheckpointStore,
  uri: string,
  options: { signal?: AbortSignal } = {},
): Promise<Checkpoint> {
  return store.load(uri, options);
}

/** The checkpoint of a model's highest epoch, or undefined when it has none (e.g. to resume). */
export async function latestCheckpoint(
  store: CheckpointStore,
  modelId: string,
  options: { signal?: AbortSignal } = {},
): Promise<Checkpoint | undefined> {
  const all = await store.list(modelId, options);
  const last = all.at(-1);
  return last ? store.load(last.uri, options) : undefined;
}

/** Deletes all but a model's `keepLast` highest epochs; returns what was deleted. */
export async function pruneCheckpoints(
  store: CheckpointStore,
  modelId: string,
  options: { keepLast: number; signal?: AbortSignal },
): Promise<CheckpointInfo[]> {
  const issues = new IssueCollector();
  if (!Number.isInteger(options?.keepLast) || options.keepLast < 0)
    issues.add('keepLast', `must be a non-negative integer, got ${String(options?.keepLast)}`);
  issues.throwIfAny('Invalid prune options');
  const all = await store.list(modelId, options);
  const doomed = all.slice(0, Math.max(0, all.length - options.keepLast));
  for (const info of doomed) await store.delete(info.uri, options);
  return doomed;
}
