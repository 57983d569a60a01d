import { pathToFileURL } from 'node:url';
import type { TrainingStore } from '@q-store/core';
import { IssueCollector, redactSecrets } from '@q-store/core/backend';

/**
 * Opens the TrainingStore a worker reads shards from, by a spec string every process understands:
 *
 * - `postgres://user:password@host:5432/db[?schema=name]` (or `postgresql://`): a `PgTrainingStore`
 *   of `@q-store/backend-pgvector` over `pg` (plain PostgreSQL, no pgvector needed), tables in
 *   `schema` (default `public`). Needs `@q-store/backend-pgvector` installed beside this package.
 * - `module:<specifier or path>`: a module whose `openTrainingStore()` export (or default export)
 *   returns the store — for any other store (Qdrant, Pinecone, a Redis-cached one, …). A relative
 *   path is taken from the current directory.
 */
export async function openTrainingStore(spec: string): Promise<TrainingStore> {
  if (typeof spec === 'string' && /^postgres(ql)?:\/\//.test(spec)) {
    const url = new URL(spec);
    const schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    const { PgTrainingStore } = (await import(
      '@q-store/backend-pgvector'
    )) as typeof import('@q-store/backend-pgvector');
    return new PgTrainingStore({ connectionString: url.toString(), ...(schema && { schema }) });
  }
  if (typeof spec === 'string' && spec.startsWith('module:')) {
    const target = spec.slice('module:'.length);
    const specifier = /^\.{0,2}\//.test(target) ? pathToFileURL(target).href : target;
    const mod = (await import(specifier)) as { openTrainingStore?: unknown; default?: unknown };
    const open = mod.openTrainingStore ?? mod.default;
    if (typeof open !== 'function') {
      const issues = new IssueCollector();
      issues.add('store', `module '${target}' exports no openTrainingStore() function`);
      issues.throwIfAny('Invalid store spec');
    }
    return (open as () => Promise<TrainingStore>)();
  }
  const issues = new IssueCollector();
  issues.add(
    'store',
    `must be postgres://… or module:<path>, got ${redactSecrets(JSON.stringify(String(spec)).slice(0, 80))}`,
  );
  issues.throwIfAny('Invalid store spec');
  throw new Error('unreachable');
}
