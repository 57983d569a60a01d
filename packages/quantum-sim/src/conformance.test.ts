import { describeQuantumBackendConformance, QueuedJobService, QueuedQuantumBackend } from '@q-store/core/testing';
import { StateVectorSimulator } from './state-vector-simulator.js';

describeQuantumBackendConformance({ name: 'StateVectorSimulator', create: () => new StateVectorSimulator() });

describeQuantumBackendConformance({
  name: 'StateVectorSimulator (JavaScript kernels, no fusion)',
  create: () => new StateVectorSimulator({ wasm: false, fuse: false }),
});

describeQuantumBackendConformance({
  name: 'StateVectorSimulator (fusion on up to 4 qubits)',
  create: () => new StateVectorSimulator({ fuseQubits: 4 }),
});

describeQuantumBackendConformance({
  name: 'StateVectorSimulator (2 threads from 1 qubit on)',
  create: () => new StateVectorSimulator({ threads: 2, threadMinQubits: 1 }),
});

describeQuantumBackendConformance({
  name: 'StateVectorSimulator (split states: chunks of 2 qubits)',
  create: () => new StateVectorSimulator({ chunkQubits: 2 }),
});

{
  // The simulator behind a queued remote service (the job model: submit, poll, cancel, resume by id).
  const service = new QueuedJobService({ engine: new StateVectorSimulator(), queuedMs: 4, runningMs: 4 });
  describeQuantumBackendConformance({
    name: 'StateVectorSimulator behind QueuedQuantumBackend',
    create: () => new QueuedQuantumBackend({ service }),
    jobs: { recreate: () => new QueuedQuantumBackend({ service }), received: () => service.received.length },
  });
}
