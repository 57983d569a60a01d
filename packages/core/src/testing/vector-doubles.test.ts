import { describeVectorBackendConformance } from './vector-conformance.js';
import { EventualMemoryBackend, LimitedMemoryBackend } from './vector-doubles.js';

describeVectorBackendConformance({
  name: 'EventualMemoryBackend with settle',
  create: (indexName) => new EventualMemoryBackend({ indexName, visibilityDelayMs: 2 }),
  settle: (backend) => (backend as EventualMemoryBackend).settled(),
});

describeVectorBackendConformance({
  name: 'LimitedMemoryBackend declaring listByPrefix and deleteByFilter false',
  create: (indexName) => new LimitedMemoryBackend({ indexName }),
});
