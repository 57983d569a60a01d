/** `@q-store/backend-qdrant/testing`: the in-process Qdrant emulator, for offline tests. */
export type { Distance, Fault, QdrantEmulatorOptions } from './qdrant-emulator.js';
export { QDRANT_EMULATOR_VERSION, QdrantEmulator } from './qdrant-emulator.js';
