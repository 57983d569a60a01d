import { type Filter, type Metadata, ValidationError, type VectorBackend } from '@q-store/core';
import { PineconeBackend } from './pinecone-backend.js';

/** A write to wait for, in the shape of the conformance kit's `SettleInfo`. */
export interface PineconeWrite {
  operation: 'ensureIndex' | 'dropIndex' | 'upsert' | 'update' | 'delete';
  namespace: string;
  written?: readonly string[];
  deleted?: readonly string[];
  filter?: Filter<Metadata>;
  all?: true;
}

/**
 * Waits until a write through `backend` (a PineconeBackend, or a view forwarding to one) is visible:
 * the conformance kit's `settle` hook for Pinecone, also usable after your own writes. Index
 * operations need no wait (`ensureIndex` and `dropIndex` return once Pinecone reports the change).
 */
export async function settlePineconeWrite(
  backend: VectorBackend,
  write: PineconeWrite,
  options: { deadlineMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  if (!(backend instanceof PineconeBackend)) {
    throw new ValidationError(
      [{ field: 'backend', message: `must be a PineconeBackend, got backend type '${backend.type}'` }],
      'Invalid settle',
    );
  }
  if (write.operation === 'ensureIndex' || write.operation === 'dropIndex') return;
  await backend.waitForVisibility({
    namespace: write.namespace,
    ...(write.written && { ids: write.written }),
    ...(write.deleted && { deletedIds: write.deleted }),
    ...(write.filter && { filter: write.filter }),
    ...(write.all && { all: true }),
    deadlineMs: options.deadlineMs ?? 30_000,
    ...(options.signal && { signal: options.signal }),
  });
}
