import { describeCheckpointStoreConformance } from '../testing/checkpoint-store-conformance.js';
import { describeStateStoreConformance } from '../testing/state-store-conformance.js';
import { describeTrainingStoreConformance } from '../testing/training-store-conformance.js';
import { MemoryCheckpointStore, MemoryStateStore, MemoryTrainingStore } from './memory-stores.js';

/** The memory stores: the reference every other implementation's suite run is held to. */
const processLocal = 'a memory store is one process-local map: there is no second handle on its data';

describeStateStoreConformance({
  name: 'MemoryStateStore',
  create: () => new MemoryStateStore(),
  skip: { sharedScope: processLocal },
});

describeTrainingStoreConformance({
  name: 'MemoryTrainingStore',
  create: () => new MemoryTrainingStore(),
  skip: { sharedScope: processLocal },
});

describeCheckpointStoreConformance({
  name: 'MemoryCheckpointStore',
  create: () => new MemoryCheckpointStore(),
  uriPattern: (modelId, name) => new RegExp(`^memory://${modelId}/${name}$`),
  malformedUris: ['memory://Bad Model/epoch-0001', 'memory://m/epoch-1', 'file:///tmp/m/epoch-0001.json'],
  skip: { sharedScope: processLocal },
});
