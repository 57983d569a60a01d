import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type Checkpoint,
  type CheckpointInfo,
  type CheckpointStore,
  ClosedError,
  INDEX_NAME_PATTERN,
  isQStoreError,
  type JsonValue,
  NotFoundError,
  StorageError,
  ValidationError,
} from '@q-store/core';
import { checkpointName, throwIfAborted, validateCheckpoint } from '@q-store/core/backend';

/** `format` field of checkpoint files. */
export const CHECKPOINT_FORMAT = 'q-store-checkpoint';
const FORMAT_VERSION = 1;
/** Epochs are non-negative safe integers: up to 16 digits. */
const CHECKPOINT_FILE = /^epoch-(\d{4,16})\.json$/;
/** Temp files: `.epoch-0007.json.<host>.<pid>.<random>.tmp` (`host`: see {@link checkpointTempHost}). */
const TEMP_FILE = /^\.epoch-\d{4,16}\.json\.([0-9a-f]{8})\.(\d+)\.[0-9a-f]+\.tmp$/;

/**
 * This machine's tag in temp file names: the first 8 hex digits of SHA-256(hostname). A save only
 * removes stale temp files of its own machine, whose process ids it can check.
 */
export function checkpointTempHost(): string {
  return createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
}
/** Parameter bytes per base64 chunk written or decoded at a time (a multiple of 3). */
const CHUNK_BYTES = 3 * 2 ** 18;

/** Options of {@link FileCheckpointStore}. */
export interface FileCheckpointStoreOptions {
  /** Root directory; a model's checkpoints live in `<directory>/<modelId>/`. Created when missing. */
  directory: string;
}

/** The JSON fields of a checkpoint file before `parameters` (which is always last). */
interface FileHeader {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  createdAt: string;
  modelId: string;
  epoch: number;
  step?: number;
  parameterCount: number;
  /** SHA-256 (hex) of the parameters' bytes, checked on load. */
  parametersSha256: string;
  optimizerState?: JsonValue;
  metrics?: Record<string, number>;
  metadata?: Record<string, JsonValue>;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function little(parameters: Float64Array): Buffer {
  return Buffer.from(parameters.buffer, parameters.byteOffset, parameters.byteLength);
}

/**
 * CheckpointStore in files (the seed's `save_checkpoint` returning a path, `load_checkpoint`).
 *
 * A checkpoint is one JSON file `<directory>/<modelId>/epoch-0007.json`, its URI
 * `file:///…/<modelId>/epoch-0007.json`. The file holds the header fields (format, createdAt,
 * modelId, epoch, step, optimizer state, metrics, metadata, the parameter count and the SHA-256 of
 * the parameter bytes) and last `parameters`: the Float64Array's little-endian bytes in base64, so
 * every value — −0, subnormals, the last bit — round-trips exactly. The parameters are written in
 * chunks, so they may exceed a JavaScript string's size; the header (optimizer state — Adam's m and
 * v as JSON numbers —, metrics, metadata) is one JSON string and must stay below it.
 *
 * Saving is atomic: the file is written as `.epoch-0007.json.<host>.<pid>.<random>.tmp` in the
 * same directory, fsynced, renamed over the final name (atomic on POSIX file systems), and the
 * directory is fsynced (and, when the save created the model's directory, its parent too). A
 * process killed at any point leaves either the old file or the new one, never a partial
 * checkpoint; the temp file it leaves is never listed or loaded, and is removed by the next save
 * of that model on the same machine once its process has died. Saving an epoch again replaces it.
 * Loading checks the format, the parameter count and the checksum (a StorageError otherwise).
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly directory: string;
  private closed = false;

  constructor(options: FileCheckpointStoreOptions) {
    if (typeof options?.directory !== 'string' || options.directory.length === 0) {
      throw new ValidationError([{ field: 'directory', message: 'must be a non-empty path' }], 'Invalid options');
    }
    this.directory = resolve(options.directory);
  }

  private assertOpen(signal?: AbortSignal): void {
    if (this.closed) throw new ClosedError('FileCheckpointStore');
    throwIfAborted(signal);
  }

  /** The path of a model's epoch. */
  path(modelId: string, epoch: number): string {
    return join(this.directory, modelId, `${checkpointName(epoch)}.json`);
  }

  uri(modelId: string, epoch: number): string {
    return pathToFileURL(this.path(modelId, epoch)).href;
  }

  /** The model and epoch of a URI of this store; a ValidationError for anything else. */
  private parse(uri: unknown): { modelId: string; epoch: number; path: string } {
    let path: string | undefined;
    try {
      if (typeof uri === 'string' && uri.startsWith('file://')) path = fileURLToPath(uri);
    } catch {
      path = undefined;
    }
    const bad = () =>
      new ValidationError(
        [{ field: 'uri', message: `must be a file:// URI of a checkpoint under ${this.directory}` }],
        'Invalid checkpoint URI',
      );
    if (path === undefined || !isAbsolute(path)) throw bad();
    const prefix = this.directory.endsWith(sep) ? this.directory : this.directory + sep;
    if (!path.startsWith(prefix)) throw bad();
    const parts = path.slice(prefix.length).split(sep);
    const match = parts.length === 2 ? CHECKPOINT_FILE.exec(parts[1] as string) : null;
    if (!match || !INDEX_NAME_PATTERN.test(parts[0] as string)) throw bad();
    return { modelId: parts[0] as string, epoch: Number(match[1]), path };
  }

  async save(checkpoint: Checkpoint, options: { signal?: AbortSignal } = {}): Promise<string> {
    this.assertOpen(options.signal);
    validateCheckpoint(checkpoint);
    const { modelId, epoch, parameters } = checkpoint;
    const dir = join(this.directory, modelId);
    const target = this.path(modelId, epoch);
    const header: FileHeader = {
      format: CHECKPOINT_FORMAT,
      version: FORMAT_VERSION,
      createdAt: checkpoint.createdAt ?? new Date().toISOString(),
      modelId,
      epoch,
      ...(checkpoint.step !== undefined && { step: checkpoint.step }),
      parameterCount: parameters.length,
      parametersSha256: createHash('sha256').update(little(parameters)).digest('hex'),
      ...(checkpoint.optimizerState !== undefined && { optimizerState: checkpoint.optimizerState }),
      ...(checkpoint.metrics !== undefined && { metrics: checkpoint.metrics }),
      ...(checkpoint.metadata !== undefined && { metadata: checkpoint.metadata }),
    };
    const head = JSON.stringify(header);
    const text = `${head.slice(0, -1)},"parameters":"`;
    try {
      const created = await mkdir(dir, { recursive: true });
      if (created !== undefined) {
        // New directories: make their entries durable in their parents (up to the first that existed).
        for (let d = dir; ; d = dirname(d)) {
          await this.syncDirectory(dirname(d));
          if (d === created || dirname(d) === d) break;
        }
      }
      await this.removeStaleTempFiles(dir);
      const temp = join(
        dir,
        `.${checkpointName(epoch)}.json.${checkpointTempHost()}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
      );
      const file = await open(temp, 'wx', 0o644);
      let renamed = false;
      try {
        await file.write(text);
        const bytes = little(parameters);
        for (let at = 0; at < bytes.byteLength; at += CHUNK_BYTES) {
          throwIfAborted(options.signal);
          await file.write(bytes.subarray(at, Math.min(bytes.byteLength, at + CHUNK_BYTES)).toString('base64'));
        }
        await file.write('"}\n');
        await file.sync();
        await file.close();
        throwIfAborted(options.signal);
        await rename(temp, target);
        renamed = true;
      } finally {
        if (!renamed) {
          await file.close().catch(() => {});
          await rm(temp, { force: true });
        }
      }
      await this.syncDirectory(dir);
    } catch (error) {
      if (isQStoreError(error)) throw error;
      throw new StorageError(`FileCheckpointStore could not save ${checkpointName(epoch)} of '${modelId}'`, error);
    }
    return pathToFileURL(target).href;
  }

  /** Makes a rename durable: fsync of the directory (where the platform allows it). */
  private async syncDirectory(dir: string): Promise<void> {
    const handle = await open(dir, 'r').catch(() => undefined);
    if (!handle) return;
    await handle.sync().catch(() => {});
    await handle.close();
  }

  /**
   * Deletes temp files of this machine's processes that are no longer running (left by a crash
   * mid-save). Temp files of other machines (another host tag) are left alone: their process ids
   * cannot be checked from here.
   */
  private async removeStaleTempFiles(dir: string): Promise<void> {
    const host = checkpointTempHost();
    for (const name of await readdir(dir)) {
      const match = TEMP_FILE.exec(name);
      if (match && match[1] === host && !isAlive(Number(match[2]))) await rm(join(dir, name), { force: true });
    }
  }

  async load(uri: string, options: { signal?: AbortSignal } = {}): Promise<Checkpoint> {
    this.assertOpen(options.signal);
    const { modelId, epoch, path } = this.parse(uri);
    let bytes: Buffer;
    try {
      bytes = await readFile(path, options.signal ? { signal: options.signal } : {});
    } catch (error) {
      throwIfAborted(options.signal);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`checkpoint '${uri}'`);
      throw new StorageError(`FileCheckpointStore could not read '${uri}'`, error);
    }
    const corrupt = (why: string) => new StorageError(`checkpoint '${uri}' is not a valid checkpoint file: ${why}`);
    // `parameters` is the last field: `…,"parameters":"<base64>"}\n`.
    let end = bytes.length;
    while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x20)) end--;
    const marker = Buffer.from(',"parameters":"');
    const markerAt = bytes.lastIndexOf(marker);
    if (markerAt < 0 || bytes[end - 1] !== 0x7d || bytes[end - 2] !== 0x22) throw corrupt('no parameters at the end');
    const base64Start = markerAt + marker.length;
    const base64End = end - 2;
    let header: FileHeader;
    try {
      header = JSON.parse(`${bytes.subarray(0, markerAt).toString('utf8')}}`) as FileHeader;
    } catch {
      throw corrupt('unparsable header');
    }
    if (header.format !== CHECKPOINT_FORMAT || header.version !== FORMAT_VERSION) throw corrupt('unknown format');
    if (header.modelId !== modelId || header.epoch !== epoch) throw corrupt('model or epoch differ from the file name');
    const count = header.parameterCount;
    // base64 of 8·count bytes has 4·ceil(8·count/3) characters.
    if (!Number.isSafeInteger(count) || count < 0 || 4 * Math.ceil((8 * count) / 3) !== base64End - base64Start) {
      throw corrupt(`parameterCount ${JSON.stringify(count)} does not match the parameter data`);
    }
    const parameters = new Float64Array(count);
    const out = new Uint8Array(parameters.buffer);
    const chunkChars = (CHUNK_BYTES / 3) * 4;
    let written = 0;
    for (let at = base64Start; at < base64End; at += chunkChars) {
      const decoded = Buffer.from(
        bytes.subarray(at, Math.min(base64End, at + chunkChars)).toString('latin1'),
        'base64',
      );
      if (written + decoded.length > out.length) throw corrupt('more parameter bytes than parameterCount');
      out.set(decoded, written);
      written += decoded.length;
    }
    if (written !== out.length) throw corrupt(`${written / 8} parameters for a count of ${header.parameterCount}`);
    if (createHash('sha256').update(out).digest('hex') !== header.parametersSha256) throw corrupt('checksum mismatch');
    return {
      modelId,
      epoch,
      ...(header.step !== undefined && { step: header.step }),
      parameters,
      ...(header.optimizerState !== undefined && { optimizerState: header.optimizerState }),
      ...(header.metrics !== undefined && { metrics: header.metrics }),
      ...(header.metadata !== undefined && { metadata: header.metadata }),
      createdAt: header.createdAt,
    };
  }

  /** A model's complete checkpoints, oldest epoch first; temp files are never listed. */
  async list(modelId: string, options: { signal?: AbortSignal } = {}): Promise<CheckpointInfo[]> {
    this.assertOpen(options.signal);
    if (typeof modelId !== 'string' || !INDEX_NAME_PATTERN.test(modelId)) return [];
    const dir = join(this.directory, modelId);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StorageError(`FileCheckpointStore could not list '${modelId}'`, error);
    }
    const out: CheckpointInfo[] = [];
    for (const name of names) {
      const match = CHECKPOINT_FILE.exec(name);
      if (!match) continue;
      const epoch = Number(match[1]);
      out.push({ uri: this.uri(modelId, epoch), modelId, epoch, createdAt: await this.readCreatedAt(join(dir, name)) });
    }
    return out.sort((a, b) => a.epoch - b.epoch);
  }

  /** `createdAt` from the first bytes of a file (it is the third header field). */
  private async readCreatedAt(path: string): Promise<string> {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(512);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      const match = /"createdAt":"([^"]*)"/.exec(buffer.subarray(0, bytesRead).toString('utf8'));
      return match?.[1] ?? '';
    } finally {
      await handle.close();
    }
  }

  async delete(uri: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    this.assertOpen(options.signal);
    const { path } = this.parse(uri);
    try {
      await unlink(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new StorageError(`FileCheckpointStore could not delete '${uri}'`, error);
    }
  }

  /** Nothing to release; later calls fail with CLOSED. */
  async close(): Promise<void> {
    this.closed = true;
  }
}
