import { describeQuantumBackendConformance } from '@q-store/core/testing';
import { StateVectorSimulator } from './state-vector-simulator.js';

describeQuantumBackendConformance({ name: 'StateVectorSimulator', create: () => new StateVectorSimulator() });

describeQuantumBackendConformance({
  name: 'StateVectorSimulator (JavaScript kernels, no fusion)',
  create: () => new StateVectorSimulator({ wasm: false, fuse: false }),
});
