/**
 * Test utility (not part of the build): the store suites of two other packages, loaded by path
 * (so this package's type check does not take in their sources) until they move to
 * `@q-store/core/testing`.
 */
import type { CheckpointStore, StateStore } from '@q-store/core';

const paths = {
  state: new URL('../../cache-redis/src/test-state-store-contract.ts', import.meta.url).href,
  checkpoint: new URL('../../ml-training/src/checkpoint-store-suite.test-helper.ts', import.meta.url).href,
};

export const { describeStateStoreContract } = (await import(paths.state)) as {
  describeStateStoreContract(name: string, create: () => StateStore): void;
};

export const { describeCheckpointStoreSuite } = (await import(paths.checkpoint)) as {
  describeCheckpointStoreSuite(
    name: string,
    options: { open(): Promise<CheckpointStore>; uriPattern(modelId: string, name: string): RegExp },
  ): void;
};
