import { base64ToTypedArray, typedArrayToBase64 } from '../shared/binary.js';

const F32 = '$q-store:f32';
const F64 = '$q-store:f64';
const MAP = '$q-store:map';

/**
 * JSON text of a value, with Float32Array and Float64Array kept exact (as base64 of their bytes)
 * and Maps kept as Maps (e.g. `FetchResult.records`).
 */
export function encodeCacheValue(value: unknown): string {
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    if (raw instanceof Float32Array) return { [F32]: typedArrayToBase64(raw) };
    if (raw instanceof Float64Array) return { [F64]: typedArrayToBase64(raw) };
    if (raw instanceof Map) return { [MAP]: [...raw.entries()] };
    return v;
  });
}

/** Inverse of {@link encodeCacheValue}. */
export function decodeCacheValue<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const tagged = v as Record<string, unknown>;
      const f32 = tagged[F32];
      if (typeof f32 === 'string') return base64ToTypedArray(f32, Float32Array);
      const f64 = tagged[F64];
      if (typeof f64 === 'string') return base64ToTypedArray(f64, Float64Array);
      const map = tagged[MAP];
      if (Array.isArray(map)) return new Map(map as Array<[unknown, unknown]>);
    }
    return v;
  }) as T;
}
