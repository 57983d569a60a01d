import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ClosedError, MemoryCheckpointStore, NotFoundError, StorageError, ValidationError } from '@q-store/core';
import { describeCheckpointStoreConformance, sameBits } from '@q-store/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KILL_MODEL, smallParameters } from './checkpoint-kill-child.test-helper.js';
import { latestCheckpoint, loadCheckpoint, pruneCheckpoints, saveCheckpoint } from './checkpoints.js';
import { CHECKPOINT_FORMAT, checkpointTempHost, FileCheckpointStore } from './file-checkpoint-store.js';

const here = dirname(fileURLToPath(import.meta.url));
const roots: string[] = [];
async function tempRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'qstore-ckpt-'));
  roots.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of roots) await rm(dir, { recursive: true, force: true });
});

/** The suite's scopes are directories under one temp root (a second store on a scope: another handle). */
let suiteRoot: Promise<string> | undefined;
describeCheckpointStoreConformance({
  name: 'FileCheckpointStore',
  create: async (scope) => {
    suiteRoot ??= tempRoot();
    return new FileCheckpointStore({ directory: join(await suiteRoot, scope) });
  },
  uriPattern: (modelId, name) =>
    new RegExp(`^file:///.+/qstore-ckpt-[^/]+/qs_ckpt_[a-z0-9]+/${modelId}/${name}\\.json$`),
  malformedUris: [
    'file:///etc/passwd',
    'memory://m/epoch-0001',
    pathToFileURL(join(tmpdir(), 'elsewhere', 'm', 'epoch-0001.json')).href,
  ],
});

describe('checkpoint helpers (saveCheckpoint, loadCheckpoint, latestCheckpoint, pruneCheckpoints)', () => {
  it('latestCheckpoint resumes from the highest epoch; pruneCheckpoints keeps the last N', async () => {
    const store = new MemoryCheckpointStore();
    const modelId = 'helpers';
    expect(await latestCheckpoint(store, modelId)).toBeUndefined();
    for (const epoch of [1, 3, 2, 4]) {
      await saveCheckpoint(store, { modelId, epoch, parameters: new Float64Array([epoch, -0]) });
    }
    const latest = await latestCheckpoint(store, modelId);
    expect(latest?.epoch).toBe(4);
    expect(Object.is(latest?.parameters[1], -0)).toBe(true);
    const pruned = await pruneCheckpoints(store, modelId, { keepLast: 2 });
    expect(pruned.map((c) => c.epoch)).toEqual([1, 2]);
    expect((await store.list(modelId)).map((c) => c.epoch)).toEqual([3, 4]);
    expect((await loadCheckpoint(store, (await store.list(modelId))[0]?.uri as string)).epoch).toBe(3);
    await expect(pruneCheckpoints(store, modelId, { keepLast: -1 })).rejects.toBeInstanceOf(ValidationError);
    expect((await store.list(modelId)).map((c) => c.epoch)).toEqual([3, 4]);
  });
});

describe('FileCheckpointStore files', () => {
  let root: string;
  let store: FileCheckpointStore;
  beforeAll(async () => {
    root = await tempRoot();
    store = new FileCheckpointStore({ directory: root });
  });

  it('writes <directory>/<modelId>/epoch-0007.json as JSON with the parameters last, leaving no temp file', async () => {
    const parameters = new Float64Array([-0, 1.5, 2 ** -1074]);
    const uri = await store.save({ modelId: 'iris-vqc', epoch: 7, parameters, metrics: { loss: 0.5 } });
    expect(uri).toBe(pathToFileURL(join(root, 'iris-vqc', 'epoch-0007.json')).href);
    const text = await readFile(join(root, 'iris-vqc', 'epoch-0007.json'), 'utf8');
    const json = JSON.parse(text) as Record<string, unknown>;
    expect(json).toMatchObject({ format: CHECKPOINT_FORMAT, modelId: 'iris-vqc', epoch: 7, parameterCount: 3 });
    expect(Object.keys(json).at(-1)).toBe('parameters');
    const bytes = Buffer.from(json.parameters as string, 'base64');
    expect(sameBits(new Float64Array(bytes.buffer, bytes.byteOffset, 3), parameters)).toBe(true);
    expect(await readdir(join(root, 'iris-vqc'))).toEqual(['epoch-0007.json']);
  });

  it('detects a corrupted or truncated file (StorageError), never returning wrong parameters', async () => {
    const uri = await store.save({ modelId: 'corrupt', epoch: 1, parameters: new Float64Array([1, 2, 3, 4]) });
    const path = fileURLToPath(uri);
    const text = await readFile(path, 'utf8');
    const at = text.indexOf('"parameters":"') + 20;
    const flipped = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    await writeFile(path, flipped);
    await expect(store.load(uri)).rejects.toThrow(/checksum/);
    await writeFile(path, text.slice(0, text.length - 10));
    await expect(store.load(uri)).rejects.toBeInstanceOf(StorageError);
    await writeFile(path, text);
    expect([...(await store.load(uri)).parameters]).toEqual([1, 2, 3, 4]);
  });

  it('accepts only URIs of its own checkpoints', async () => {
    for (const uri of [
      'file:///etc/passwd',
      pathToFileURL(join(root, 'm', '..', '..', 'epoch-0001.json')).href,
      pathToFileURL(join(root, 'm', 'epoch-1.json')).href,
      pathToFileURL(join(root, 'Bad Model', 'epoch-0001.json')).href,
      'memory://m/epoch-0001',
      '',
    ]) {
      await expect(store.load(uri)).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(store.load(pathToFileURL(join(root, 'absent', 'epoch-0001.json')).href)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('never lists a temp file; a save removes temp files of dead processes but not of live ones', async () => {
    const dir = join(root, 'temps');
    await store.save({ modelId: 'temps', epoch: 1, parameters: new Float64Array([1]) });
    const dead = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid as number)));
    const host = checkpointTempHost();
    const other = host === '00000000' ? '11111111' : '00000000';
    const stale = `.epoch-0002.json.${host}.${deadPid}.abcdef.tmp`;
    const live = `.epoch-0003.json.${host}.${process.pid}.123456.tmp`;
    // Another machine's temp file: its process id means nothing here, so it is never removed.
    const foreign = `.epoch-0005.json.${other}.${deadPid}.abcdef.tmp`;
    await writeFile(join(dir, stale), '{"format":"q-store-checkpoint","parameters":"AAAA');
    await writeFile(join(dir, live), '{"format":');
    await writeFile(join(dir, foreign), '{"format":');
    expect((await store.list('temps')).map((c) => c.epoch)).toEqual([1]);
    await store.save({ modelId: 'temps', epoch: 4, parameters: new Float64Array([4]) });
    expect((await readdir(dir)).sort()).toEqual([live, foreign, 'epoch-0001.json', 'epoch-0004.json'].sort());
  });

  it('a damaged parameterCount is a StorageError (not a RangeError or a silent misread)', async () => {
    const uri = await store.save({ modelId: 'count', epoch: 1, parameters: new Float64Array([1, 2, 3]) });
    const path = fileURLToPath(uri);
    const good = await readFile(path, 'utf8');
    expect(good).toContain('"parameterCount":3');
    for (const bad of ['-1', '1e15', '"3"', '2', '3.5']) {
      await writeFile(path, good.replace('"parameterCount":3', `"parameterCount":${bad}`));
      const error = await store.load(uri).catch((e) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect(String(error.message)).toMatch(/parameterCount/);
    }
    await writeFile(path, good);
    expect(Array.from((await store.load(uri)).parameters)).toEqual([1, 2, 3]);
  });

  it('an aborted save leaves neither a checkpoint nor a temp file', async () => {
    const controller = new AbortController();
    const saving = store.save(
      { modelId: 'aborted', epoch: 1, parameters: new Float64Array(2_000_000) },
      { signal: controller.signal },
    );
    controller.abort();
    await expect(saving).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await readdir(join(root, 'aborted')).catch(() => [])).toEqual([]);
  });

  it('fails with CLOSED after close', async () => {
    const closed = new FileCheckpointStore({ directory: root });
    await closed.close();
    await expect(closed.list('x')).rejects.toBeInstanceOf(ClosedError);
  });
});

/**
 * The crash test: a child process saves epochs 1 and 2, then starts replacing epoch 2 with a
 * 50-million-parameter checkpoint (a ~533 MB file). Once the temp file exists and has grown between
 * two looks, the child is SIGKILLed. Afterwards the partial temp file is still there (so the kill
 * really hit mid-save), yet the listing shows only the complete epochs, both load bit for bit —
 * epoch 2 is still the small one — and the next save removes the dead process's temp file.
 */
describe('FileCheckpointStore: a process killed mid-save', () => {
  it('leaves the previous checkpoints loadable and no partial checkpoint visible', async () => {
    const root = await tempRoot();
    const count = 50_000_000;
    const fullSize = Math.ceil((count * 8) / 3) * 4;
    const child = spawn(
      process.execPath,
      [
        '--conditions=@q-store/source',
        '--import',
        'tsx',
        join(here, 'checkpoint-kill-child.test-helper.ts'),
        root,
        String(count),
      ],
      { cwd: join(here, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const dir = join(root, KILL_MODEL);
    let killedAtSize = -1;
    let lastSize = -1;
    while (child.exitCode === null && child.signalCode === null) {
      if (output.includes('saving huge')) {
        const temp = (await readdir(dir)).find((name) => name.endsWith('.tmp'));
        const size = temp ? (await stat(join(dir, temp)).catch(() => undefined))?.size : undefined;
        if (size !== undefined && lastSize > 0 && size > lastSize) {
          child.kill('SIGKILL');
          killedAtSize = size;
          break;
        }
        if (size !== undefined) lastSize = size;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const signal = await exited;
    expect(errors).toBe('');
    expect(output).not.toContain('huge saved');
    expect(signal).toBe('SIGKILL');
    expect(killedAtSize).toBeGreaterThan(0);

    const names = (await readdir(dir)).sort();
    const temps = names.filter((name) => name.endsWith('.tmp'));
    expect(temps).toHaveLength(1);
    expect((await stat(join(dir, temps[0] as string))).size).toBeLessThan(fullSize);
    expect(names.filter((name) => !name.endsWith('.tmp'))).toEqual(['epoch-0001.json', 'epoch-0002.json']);

    const store = new FileCheckpointStore({ directory: root });
    const listed = await store.list(KILL_MODEL);
    expect(listed.map((c) => c.epoch)).toEqual([1, 2]);
    for (const info of listed) {
      const loaded = await store.load(info.uri);
      expect(sameBits(loaded.parameters, smallParameters(info.epoch))).toBe(true);
      expect(loaded.optimizerState).toEqual({ t: info.epoch });
    }
    await store.save({ modelId: KILL_MODEL, epoch: 3, parameters: smallParameters(3) });
    expect((await readdir(dir)).sort()).toEqual(['epoch-0001.json', 'epoch-0002.json', 'epoch-0003.json']);
  }, 120_000);
});
