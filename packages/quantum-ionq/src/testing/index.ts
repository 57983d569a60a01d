/** `@q-store/quantum-ionq/testing`: the in-process IonQ API v0.4 emulator, for offline tests. */
export type {
  IonqEmulatorOptions,
  IonqEmulatorTiming,
  IonqFailure,
  IonqFault,
  RecordedRequest,
} from './ionq-emulator.js';
export { IonqEmulator } from './ionq-emulator.js';
export type { BackendInfo } from './job-request.js';
export type { NoiseFigures } from './simulation.js';
export { ARIA_FIGURES, errorRates } from './simulation.js';
