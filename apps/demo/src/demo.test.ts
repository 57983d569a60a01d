import { evaluateFilter, parseFilter } from '@q-store/core';
import { describe, expect, it } from 'vitest';
import { runDemo } from './demo.js';

describe('demo', () => {
  it('runs end to end on the in-memory backend: every record lands and the filter holds', async () => {
    const lines: string[] = [];
    const result = await runDemo({ records: 300, seed: 7, print: (l) => lines.push(l) });
    expect(result.inserted).toBe(300);
    expect(result.totalRecordCount).toBe(300);
    expect(result.chunks).toBeGreaterThanOrEqual(1);
    // The query sits on the garden centre: the unfiltered top 5 are garden items.
    expect(result.plain.map((m) => m.metadata?.category)).toEqual(Array(5).fill('garden'));
    // Every filtered match satisfies the filter, and the filter changed the answer.
    const ast = parseFilter(result.filter);
    expect(result.filtered.length).toBeGreaterThan(0);
    for (const m of result.filtered) expect(evaluateFilter(ast, m.metadata)).toBe(true);
    expect(result.filtered.map((m) => m.id)).not.toEqual(result.plain.map((m) => m.id));
    expect(lines.join('\n')).toContain('300 records');
  });
});
