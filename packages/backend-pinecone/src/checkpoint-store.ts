import { createHash } from 'node:crypto';
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
import { generationToken, joinBase64, RecordStore, type RecordStoreOptions, splitBase64 } from './record-store.js';

/** Default namespace of the checkpoint records. */
export const CHECKPOINTS_NAMESPACE = 'q-store-checkpoints';

/**
 * Raw bytes per part record: their base64 (4/3 as long) stays under Pinecone's 40 KB of metadata
 * per record with room for the key names. 29,952 bytes are 3,744 float64 parameters.
 */
export const PART_BYTES = 29_952;

/** Epochs are non-negative safe integers (up to 16 digits), at least 4 digits in URIs. */
const URI_PATTERN =
  /^pinecone:\/\/([a-z][a-z0-9-]{0,44})\/([A-Za-z0-9_-]{1,64})\/([a-z][a-z0-9-]{0,44})\/epoch-(\d{4,16})$/;

/** The manifest record: what is needed to find and check the parts. */
interface ManifestDoc {
  modelId: string;
  epoch: number;
  createdAt: string;
  generation: string;
  parts: number;
  /** Bytes of the extras JSON at the start of the payload; the float64 parameters follow. */
  extrasBytes: number;
  parameterCount: number;
  /** SHA-256 of the payload, hex: a mismatch means a part was overwritten or lost. */
  sha256: string;
}

interface Extras {
  step?: number;
  optimizerState?: JsonValue;
  metrics?: Record<string, number>;
  metadata?: Record<string, JsonValue>;
}

const epochKey = (epoch: number) => String(epoch).padStart(16, '0');
const manifestId = (modelId: string, epoch: number) => `m/${modelId}/${epochKey(epoch)}`;
const partId = (modelId: string, epoch: number, generation: string, k: number) =>
  `p/${modelId}/${epochKey(epoch)}/${generation}/${k}`;

/**
 * CheckpointStore on a Pinecone index, in the namespace `q-store-checkpoints`.
 *
 * One checkpoint is a payload — the JSON of step, optimizer state, metrics and metadata, then the
 * parameters' float64 bytes (so they round-trip bit for bit) — split into part records of at most
 * {@link PART_BYTES} bytes (base64 in metadata; Pinecone allows 40 KB per record), ids
 * `p/<model>/<epoch>/<generation>/<k>`, and one manifest record `m/<model>/<epoch>` naming the
 * generation, the part count and the payload's SHA-256.
 *
 * **A reader never sees half a checkpoint.** `save` writes every part under a fresh generation and
 * waits until all are visible; only then it writes the manifest (the commit point) and waits for it;
 * then it deletes the previous generation's parts. `load` reads the manifest, then the parts it
 * names, and checks their count and hash; if a concurrent save replaced them in between, it reads
 * the manifest again. A crash before the manifest leaves the previous checkpoint loadable (and some
 * unreferenced parts, which the next save of that epoch does not reuse).
 *
 * URIs are `pinecone://<index>/<namespace>/<modelId>/epoch-0007`.
 */
export class PineconeCheckpointStore extends RecordStore implements CheckpointStore {
  constructor(options: RecordStoreOptions) {
    super(options, CHECKPOINTS_NAMESPACE, 'PineconeCheckpointStore');
  }

  uri(modelId: string, epoch: number): string {
    return `pinecone://${this.backend.indexName}/${this.namespace}/${modelId}/${checkpointName(epoch)}`;
  }

  private parse(uri: unknown): { index: string; namespace: string; modelId: string; epoch: number } {
    const match = typeof uri === 'string' ? URI_PATTERN.exec(uri) : null;
    const epoch = Number(match?.[4]);
    // 16 digits can exceed 2^53 − 1: such an epoch was never saved.
    if (!match || !Number.isSafeInteger(epoch)) {
      const message = match
        ? `epoch must be at most ${Number.MAX_SAFE_INTEGER}`
        : 'must look like pinecone://<index>/<namespace>/<modelId>/epoch-0007';
      throw new ValidationError([{ field: 'uri', message }], 'Invalid checkpoint URI');
    }
    return { index: match[1] as string, namespace: match[2] as string, modelId: match[3] as string, epoch };
  }

  private mine(parsed: { index: string; namespace: string }): boolean {
    return parsed.index === this.backend.indexName && parsed.namespace === this.namespace;
  }

  /** Parses the URI (a bad one rejects at once) and runs `work` as one store call. */
  private withUri<T>(
    uri: string,
    options: { signal?: AbortSignal },
    work: (parsed: ReturnType<PineconeCheckpointStore['parse']>) => Promise<T>,
  ): Promise<T> {
    let parsed: ReturnType<PineconeCheckpointStore['parse']>;
    try {
      parsed = this.parse(uri);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.call(options.signal, () => work(parsed));
  }

  private async readManifest(modelId: string, epoch: number, signal?: AbortSignal): Promise<ManifestDoc | undefined> {
    const id = manifestId(modelId, epoch);
    const found = (await this.fetchMetadata([id], signal)).get(id);
    return found && typeof found.doc === 'string' ? (JSON.parse(found.doc) as ManifestDoc) : undefined;
  }

  save(checkpoint: Checkpoint, options: { signal?: AbortSignal } = {}): Promise<string> {
    try {
      validateCheckpoint(checkpoint);
    } catch (error) {
      return Promise.reject(error);
    }
    const key = `${checkpoint.modelId}/${checkpoint.epoch}`;
    return this.call(options.signal, () => this.exclusive(key, () => this.saveAlone(checkpoint, options)));
  }

  /** One save, run alone among this process's saves of the same model and epoch. */
  private async saveAlone(checkpoint: Checkpoint, options: { signal?: AbortSignal }): Promise<string> {
    const { modelId, epoch } = checkpoint;
    const extras: Extras = {
      ...(checkpoint.step !== undefined && { step: checkpoint.step }),
      ...(checkpoint.optimizerState !== undefined && { optimizerState: checkpoint.optimizerState }),
      ...(checkpoint.metrics !== undefined && { metrics: checkpoint.metrics }),
      ...(checkpoint.metadata !== undefined && { metadata: checkpoint.metadata }),
    };
    const extrasBytes = Buffer.from(JSON.stringify(extras), 'utf8');
    const params = checkpoint.parameters;
    const payload = Buffer.concat([extrasBytes, Buffer.from(params.buffer, params.byteOffset, params.byteLength)]);
    const parts = splitBase64(payload, PART_BYTES);
    const previous = await this.readManifest(modelId, epoch, options.signal);
    const generation = generationToken();
    await this.write(
      parts.map((b64, k) => ({
        id: partId(modelId, epoch, generation, k),
        vector: this.vectorFor(),
        metadata: { b: b64 },
      })),
      options.signal,
    );
    const doc: ManifestDoc = {
      modelId,
      epoch,
      createdAt: checkpoint.createdAt ?? new Date().toISOString(),
      generation,
      parts: parts.length,
      extrasBytes: extrasBytes.byteLength,
      parameterCount: params.length,
      sha256: createHash('sha256').update(payload).digest('hex'),
    };
    // The commit point: from here on readers find the new parts.
    await this.write(
      [{ id: manifestId(modelId, epoch), vector: this.vectorFor(), metadata: { doc: JSON.stringify(doc) } }],
      options.signal,
      true,
    );
    if (previous && previous.generation !== generation) {
      await this.remove(this.partIds(previous), options.signal);
    }
    return this.uri(modelId, epoch);
  }

  private partIds(doc: ManifestDoc): string[] {
    return Array.from({ length: doc.parts }, (_, k) => partId(doc.modelId, doc.epoch, doc.generation, k));
  }

  load(uri: string, options: { signal?: AbortSignal } = {}): Promise<Checkpoint> {
    return this.withUri(uri, options, async (parsed) => {
      if (!this.mine(parsed)) throw new NotFoundError(`checkpoint '${uri}' (not in this store's index and namespace)`);
      for (let attempt = 0; ; attempt++) {
        const doc = await this.readManifest(parsed.modelId, parsed.epoch, options.signal);
        if (!doc) throw new NotFoundError(`checkpoint '${uri}'`);
        const ids = this.partIds(doc);
        const found = await this.fetchMetadata(ids, options.signal);
        const payload = found.size === ids.length ? joinBase64(ids.map((id) => String(found.get(id)?.b))) : undefined;
        const intact = payload !== undefined && createHash('sha256').update(payload).digest('hex') === doc.sha256;
        if (!intact || payload === undefined) {
          // A concurrent save replaced this generation between the manifest and the parts.
          if (attempt < 3) continue;
          throw new StorageError(`checkpoint '${uri}': its parts are missing or do not match the manifest`);
        }
        const extras = JSON.parse(Buffer.from(payload.subarray(0, doc.extrasBytes)).toString('utf8')) as Extras;
        const parameters = new Float64Array(doc.parameterCount);
        new Uint8Array(parameters.buffer).set(
          payload.subarray(doc.extrasBytes, doc.extrasBytes + 8 * doc.parameterCount),
        );
        return {
          modelId: doc.modelId,
          epoch: doc.epoch,
          ...(extras.step !== undefined && { step: extras.step }),
          parameters,
          ...(extras.optimizerState !== undefined && { optimizerState: extras.optimizerState }),
          ...(extras.metrics !== undefined && { metrics: extras.metrics }),
          ...(extras.metadata !== undefined && { metadata: extras.metadata }),
          createdAt: doc.createdAt,
        };
      }
    });
  }

  list(modelId: string, options: { signal?: AbortSignal } = {}): Promise<CheckpointInfo[]> {
    if (typeof modelId !== 'string' || !INDEX_NAME_PATTERN.test(modelId)) return Promise.resolve([]);
    return this.call(options.signal, async () => {
      const ids = await this.listIds(`m/${modelId}/`, options.signal);
      const found = await this.fetchMetadata(ids, options.signal);
      const docs: ManifestDoc[] = [];
      for (const metadata of found.values()) {
        if (typeof metadata.doc === 'string') docs.push(JSON.parse(metadata.doc) as ManifestDoc);
      }
      docs.sort((a, b) => a.epoch - b.epoch);
      return docs.map((doc) => ({
        uri: this.uri(modelId, doc.epoch),
        modelId,
        epoch: doc.epoch,
        createdAt: doc.createdAt,
      }));
    });
  }

  /** Deletes the manifest first (the checkpoint is gone for readers), then its parts. */
  delete(uri: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    return this.withUri(uri, options, async (parsed) => {
      if (!this.mine(parsed)) return false;
      const doc = await this.readManifest(parsed.modelId, parsed.epoch, options.signal);
      if (!doc) return false;
      await this.remove([manifestId(parsed.modelId, parsed.epoch)], options.signal);
      await this.remove(this.partIds(doc), options.signal);
      return true;
    });
  }
}
