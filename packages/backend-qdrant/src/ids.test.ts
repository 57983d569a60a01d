import { v5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { pointIdFor, QSTORE_QDRANT_ID_NAMESPACE, uuidV5 } from './ids.js';

describe('point ids', () => {
  it('are RFC 4122 v5 UUIDs, identical to the uuid package for every kind of name', () => {
    const names = ['', 'a', 'ünï cødé ✓', '😀'.repeat(100), 'x'.repeat(512), '["","a"]', '\u0000\uffff'];
    for (let i = 0; i < 500; i++) names.push(`id-${i}-${String.fromCharCode(32 + (i % 5000))}`);
    for (const name of names) expect(uuidV5(name)).toBe(v5(name, QSTORE_QDRANT_ID_NAMESPACE));
    expect(pointIdFor('ns', 'a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('depend on the namespace and keep distinct ids apart (no collision over 100,000 ids)', () => {
    expect(pointIdFor('a', 'x')).not.toBe(pointIdFor('b', 'x'));
    expect(pointIdFor('', 'a,b')).not.toBe(pointIdFor('a', 'b')); // JSON framing: no ambiguity
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(pointIdFor('', String(i)));
    expect(seen.size).toBe(100_000);
  });

  it('map a UUID id like any other string (its original spelling stays in the payload)', () => {
    const id = '3F2504E0-4F89-11D3-9A0C-0305E82C3301';
    expect(pointIdFor('', id)).not.toBe(id.toLowerCase());
    expect(pointIdFor('', id)).not.toBe(pointIdFor('', id.toLowerCase()));
  });
});
