/** Base64 of a typed array's bytes (platform byte order, little-endian on every supported CPU). */
export function typedArrayToBase64(v: Float32Array | Float64Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

/** Inverse of {@link typedArrayToBase64}: a fresh, aligned array. */
export function base64ToTypedArray<T extends Float32Array | Float64Array>(
  text: string,
  Type: { new (length: number): T; BYTES_PER_ELEMENT: number },
): T {
  const bytes = Buffer.from(text, 'base64');
  const out = new Type(bytes.byteLength / Type.BYTES_PER_ELEMENT);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
