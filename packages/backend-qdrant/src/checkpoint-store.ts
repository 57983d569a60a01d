import { randomUUID } from 'node:crypto';
import {
  type Checkpoint,
  type CheckpointInfo,
  type CheckpointStore,
  INDEX_NAME_PATTERN,
  type JsonValue,
  NotFoundError,
  StorageError,
  ValidationError,
} from '@q-store/core';
import { checkpointName, validateCheckpoint } from '@q-store/core/backend';
import { PLACEHOLDER_VECTOR, QdrantStore, type QdrantStoreOptions } from './store-base.js';

/** Parameters per part point: 4 MB of float64 (5.3 MB of base64), so any model fits in requests under 32 MB. */
export const CHECKPOINT_PART_VALUES = 512 * 1024;
/** Parts per upsert request. */
const PARTS_PER_REQUEST = 4;

const URI_PATTERN = /^qdrant:\/\/([a-z0-9][a-z0-9-]{0,44})\/([a-z][a-z0-9-]{0,44})\/epoch-(\d{4,16})$/;

interface HeadPayload {
  kind: 'head';
  model: string;
  epoch: number;
  generation: string;
  parts: number;
  length: number;
  created_at: string;
  step?: number;
  optimizer_state?: string;
  metrics?: Record<string, number>;
  metadata?: string;
}

interface PartPayload {
  kind: 'part';
  model: string;
  epoch: number;
  generation: string;
  part: number;
  /** Base64 of the float64 values (little-endian), bit for bit. */
  values: string;
}

/**
 * CheckpointStore on a Qdrant collection (default `qstore-checkpoints`). URIs are
 * `qdrant://<collection>/<modelId>/epoch-0007`.
 *
 * A checkpoint is a *head* point `{kind: 'head', model, epoch, generation, parts, …}` and its
 * parameters in *part* points of {@link CHECKPOINT_PART_VALUES} float64 values each (base64 of the
 * bytes, so −0, subnormals and every bit round-trip). Save is atomic without transactions: the parts
 * go in under a fresh generation, then the head naming that generation (one point write: the
 * switch), then the previous generation's parts are deleted. A crash before the head leaves the
 * previous checkpoint loadable (and orphan parts, removed by the next save of that epoch). JSON
 * extras (optimizer state, metadata) are kept as JSON text so Qdrant never reinterprets them.
 */
export class QdrantCheckpointStore extends QdrantStore implements CheckpointStore {
  constructor(options: QdrantStoreOptions = {}) {
    super(options, 'qstore-checkpoints', 'QdrantCheckpointStore', ['kind', 'model', 'generation']);
  }

  uri(modelId: string, epoch: number): string {
    return `qdrant://${this.collectionName}/${modelId}/${checkpointName(epoch)}`;
  }

  private parse(uri: unknown): { collection: string; modelId: string; epoch: number } {
    const match = typeof uri === 'string' ? URI_PATTERN.exec(uri) : null;
    const epoch = match ? Number(match[3]) : Number.NaN;
    if (!match || !Number.isSafeInteger(epoch)) {
      throw new ValidationError(
        [{ field: 'uri', message: 'must look like qdrant://<collection>/<modelId>/epoch-0007' }],
        'Invalid checkpoint URI',
      );
    }
    return { collection: match[1] as string, modelId: match[2] as string, epoch };
  }

  private headId(modelId: string, epoch: number): string {
    return this.pointId('head', modelId, epoch);
  }

  private partId(modelId: string, epoch: number, generation: string, part: number): string {
    return this.pointId('part', modelId, epoch, generation, part);
  }

  private async readHead(modelId: string, epoch: number, signal?: AbortSignal): Promise<HeadPayload | undefined> {
    const [point] = await this.call(
      'read',
      (c) => c.retrieve(this.collectionName, { ids: [this.headId(modelId, epoch)], with_payload: true }),
      signal,
    );
    return point ? (point.payload as unknown as HeadPayload) : undefined;
  }

  private generationFilter(modelId: string, epoch: number, generation: string, keep: boolean) {
    const same = { key: 'generation', match: { value: generation } };
    return {
      must: [
        { key: 'kind', match: { value: 'part' } },
        { key: 'model', match: { value: modelId } },
        { key: 'epoch', range: { gte: epoch, lte: epoch } },
        ...(keep ? [] : [same]),
      ],
      ...(keep && { must_not: [same] }),
    };
  }

  save(checkpoint: Checkpoint, options: { signal?: AbortSignal } = {}): Promise<string> {
    return this.run(options.signal, async () => {
      validateCheckpoint(checkpoint);
      const { modelId, epoch, parameters } = checkpoint;
      const generation = randomUUID();
      const bytes = Buffer.from(parameters.buffer, parameters.byteOffset, parameters.byteLength);
      const parts = Math.max(1, Math.ceil(parameters.length / CHECKPOINT_PART_VALUES));
      for (let first = 0; first < parts; first += PARTS_PER_REQUEST) {
        const points: Array<{ id: string; vector: number[]; payload: Record<string, unknown> }> = [];
        for (let part = first; part < Math.min(parts, first + PARTS_PER_REQUEST); part++) {
          const payload: PartPayload = {
            kind: 'part',
            model: modelId,
            epoch,
            generation,
            part,
            values: bytes
              .subarray(part * CHECKPOINT_PART_VALUES * 8, (part + 1) * CHECKPOINT_PART_VALUES * 8)
              .toString('base64'),
          };
          points.push({
            id: this.partId(modelId, epoch, generation, part),
            vector: PLACEHOLDER_VECTOR,
            payload: payload as unknown as Record<string, unknown>,
          });
        }
        await this.call('save', (c) => c.upsert(this.collectionName, { wait: true, points }), options.signal);
      }
      const head: HeadPayload = {
        kind: 'head',
        model: modelId,
        epoch,
        generation,
        parts,
        length: parameters.length,
        created_at: checkpoint.createdAt ?? new Date().toISOString(),
        ...(checkpoint.step !== undefined && { step: checkpoint.step }),
        ...(checkpoint.optimizerState !== undefined && { optimizer_state: JSON.stringify(checkpoint.optimizerState) }),
        ...(checkpoint.metrics !== undefined && { metrics: checkpoint.metrics }),
        ...(checkpoint.metadata !== undefined && { metadata: JSON.stringify(checkpoint.metadata) }),
      };
      await this.call(
        'save',
        (c) =>
          c.upsert(this.collectionName, {
            wait: true,
            points: [
              {
                id: this.headId(modelId, epoch),
                vector: PLACEHOLDER_VECTOR,
                payload: head as unknown as Record<string, unknown>,
              },
            ],
          }),
        options.signal,
      );
      // Parts of earlier saves of this epoch (and of crashed saves) are no longer named by the head.
      await this.call(
        'save',
        (c) =>
          c.delete(this.collectionName, {
            wait: true,
            filter: this.generationFilter(modelId, epoch, generation, true) as never,
          }),
        options.signal,
      );
      return this.uri(modelId, epoch);
    });
  }

  load(uri: string, options: { signal?: AbortSignal } = {}): Promise<Checkpoint> {
    return this.run(options.signal, async () => {
      const { collection, modelId, epoch } = this.parse(uri);
      if (collection !== this.collectionName) {
        throw new NotFoundError(`checkpoint '${uri}' (this store's collection is '${this.collectionName}')`);
      }
      const head = await this.readHead(modelId, epoch, options.signal);
      if (!head) throw new NotFoundError(`checkpoint '${uri}'`);
      const ids = Array.from({ length: head.parts }, (_, part) => this.partId(modelId, epoch, head.generation, part));
      const parameters = new Float64Array(head.length);
      const target = new Uint8Array(parameters.buffer);
      for (let first = 0; first < ids.length; first += PARTS_PER_REQUEST) {
        const points = await this.call(
          'load',
          (c) =>
            c.retrieve(this.collectionName, { ids: ids.slice(first, first + PARTS_PER_REQUEST), with_payload: true }),
          options.signal,
        );
        if (points.length !== Math.min(PARTS_PER_REQUEST, ids.length - first)) {
          throw new NotFoundError(`checkpoint '${uri}': parameters were replaced or deleted while loading`);
        }
        for (const point of points) {
          const part = point.payload as unknown as PartPayload;
          target.set(Buffer.from(part.values, 'base64'), part.part * CHECKPOINT_PART_VALUES * 8);
        }
      }
      if (head.length === 0 && head.parts !== 1) throw new StorageError(`checkpoint '${uri}' is damaged`);
      return {
        modelId,
        epoch,
        ...(head.step !== undefined && { step: head.step }),
        parameters,
        ...(head.optimizer_state !== undefined && { optimizerState: JSON.parse(head.optimizer_state) as JsonValue }),
        ...(head.metrics !== undefined && { metrics: head.metrics }),
        ...(head.metadata !== undefined && {
          metadata: JSON.parse(head.metadata) as Record<string, JsonValue>,
        }),
        createdAt: head.created_at,
      };
    });
  }

  list(modelId: string, options: { signal?: AbortSignal } = {}): Promise<CheckpointInfo[]> {
    return this.run(options.signal, async () => {
      if (typeof modelId !== 'string' || !INDEX_NAME_PATTERN.test(modelId)) return [];
      const out: CheckpointInfo[] = [];
      for await (const point of this.scrollAll(
        'list',
        {
          must: [
            { key: 'kind', match: { value: 'head' } },
            { key: 'model', match: { value: modelId } },
          ],
        },
        ['epoch', 'created_at'],
        options.signal,
      )) {
        const epoch = point.payload.epoch as number;
        out.push({ uri: this.uri(modelId, epoch), modelId, epoch, createdAt: String(point.payload.created_at) });
      }
      return out.sort((a, b) => a.epoch - b.epoch);
    });
  }

  delete(uri: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    return this.run(options.signal, async () => {
      const { collection, modelId, epoch } = this.parse(uri);
      if (collection !== this.collectionName) return false;
      const head = await this.readHead(modelId, epoch, options.signal);
      if (!head) return false;
      await this.call(
        'delete',
        (c) => c.delete(this.collectionName, { wait: true, points: [this.headId(modelId, epoch)] }),
        options.signal,
      );
      await this.call(
        'delete',
        (c) =>
          c.delete(this.collectionName, {
            wait: true,
            filter: {
              must: [
                { key: 'kind', match: { value: 'part' } },
                { key: 'model', match: { value: modelId } },
                { key: 'epoch', range: { gte: epoch, lte: epoch } },
              ],
            } as never,
          }),
        options.signal,
      );
      return true;
    });
  }
}
