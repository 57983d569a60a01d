export {
  DEFAULT_IONQ_BASE_URL,
  errorFromFailure,
  IonqClient,
  type IonqClientOptions,
  type IonqFailure,
  type IonqJob,
  type IonqJobPayload,
  type IonqJobStatus,
  type IonqRequestEvent,
  isRetryableStatus,
} from './client.js';
export { type CompileOptions, compileCircuit } from './gate-compiler.js';
export {
  IONQ_DEFAULT_PRICE_PER_SHOT_USD,
  IONQ_TARGET_QUBITS,
  IonQBackend,
  type IonQBackendOptions,
  type IonQCapabilities,
  type IonQUsage,
} from './ionq-backend.js';
export {
  type IonqCircuit,
  type IonqGate,
  type IonqGateset,
  ionqToCircuitJson,
  NATIVE_GATES,
  QIS_GATES,
} from './ionq-gates.js';
export { IONQ_LIMITS, IONQ_NOISE_MODELS } from './ionq-limits.js';
export { type IonQBackendConfig, registerIonQ } from './registry.js';
export { probabilitiesToSample, toIonqProbabilities } from './results.js';
