export { type CompileOptions, compileCircuit } from './gate-compiler.js';
export {
  type IonqCircuit,
  type IonqGate,
  type IonqGateset,
  ionqToCircuitJson,
  NATIVE_GATES,
  QIS_GATES,
} from './ionq-gates.js';
export { probabilitiesToSample, toIonqProbabilities } from './results.js';
