/**
 * IonQ's documented limits and names (API v0.4 and its docs), in one place for the backend and the
 * emulator: shots 1 to 1,000,000 (default 100), at most 5,000 circuits and 150,000 gates per
 * multi-circuit job, request bodies ≤ 10 MB, metadata ≤ 10 keys with names ≤ 40 characters and
 * values ≤ 40,000 characters, debiasing needs ≥ 500 shots.
 */
export const IONQ_LIMITS = Object.freeze({
  minShots: 1,
  maxShots: 1_000_000,
  defaultShots: 100,
  maxCircuitsPerJob: 5000,
  maxGatesPerJob: 150_000,
  maxBodyBytes: 10 * 1024 * 1024,
  maxMetadataKeys: 10,
  maxMetadataKeyLength: 40,
  maxMetadataValueLength: 40_000,
  minDebiasingShots: 500,
  /** q-store's own cap on job names (IonQ documents none). */
  maxJobNameLength: 100,
});

/** The noise models IonQ's contract lists for the simulator (`noise.model`). */
export const IONQ_NOISE_MODELS: readonly string[] = Object.freeze([
  'ideal',
  'harmony',
  'harmony-1',
  'harmony-2',
  'aria-1',
  'aria-2',
  'forte-1',
  'forte-enterprise-1',
]);
