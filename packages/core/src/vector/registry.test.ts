import { describe, expect, it } from 'vitest';
import { PluginRegistry } from '../shared/plugin-registry.js';
import { MemoryBackend } from './memory-backend.js';
import { backendRegistry, createBackend } from './registry.js';
import type { VectorBackend } from './vector-backend.js';

describe('plugin registry', () => {
  it('builds the memory backend from a seed-style config dict', async () => {
    const backend = await createBackend({ type: 'memory', indexName: 'from-config' });
    expect(backend).toBeInstanceOf(MemoryBackend);
    expect(backend.indexName).toBe('from-config');
    await backend.ensureIndex({ dimension: 2, metric: 'cosine' });
    await backend.upsert({ records: [{ id: 'x', vector: [1, 1] }] });
    expect((await backend.stats()).totalRecordCount).toBe(1);
  });

  it('names the known types when the type is unknown', async () => {
    await expect(createBackend({ type: 'weaviate' })).rejects.toMatchObject({
      code: 'UNKNOWN_PLUGIN',
      message: expect.stringContaining('known types: memory'),
    });
  });

  it('registers a custom type in one call, and refuses silent replacement', async () => {
    const registry = new PluginRegistry<VectorBackend>('vector backend');
    registry.register<{ type: 'mine'; indexName: string }>(
      'mine',
      (config) => new MemoryBackend({ indexName: config.indexName }),
    );
    const created = await registry.create({ type: 'mine', indexName: 'custom' });
    expect(created.indexName).toBe('custom');
    expect(() => registry.register('mine', () => created)).toThrow(/already registered/);
    registry.register('mine', () => created, { replace: true });
    expect(registry.types()).toEqual(['mine']);
    expect(() => registry.register('Bad Type', () => created)).toThrow(/type/);
    expect(backendRegistry.has('memory')).toBe(true);
  });
});
