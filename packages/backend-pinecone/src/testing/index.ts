/** `@q-store/backend-pinecone/testing`: the in-process Pinecone emulator, for offline tests. */
export type {
  Metric,
  PineconeEmulatorOptions,
  PineconeFault,
  ReceivedRequest,
} from './pinecone-emulator.js';
export { PINECONE_EMULATOR_API_VERSION, PINECONE_LIMITS, PineconeEmulator } from './pinecone-emulator.js';
