import { MemoryBackend } from '@q-store/core';
import { describe, expect, it } from 'vitest';
import { runDemo } from './demo.js';

describe('demo scenario', () => {
  it('runs end to end: filters hold, context and tunneling change the ranking, entanglement and decoherence act', async () => {
    const lines: string[] = [];
    const result = await runDemo({
      backend: new MemoryBackend({ indexName: 'demo-test' }),
      print: (l) => lines.push(l),
    });
    expect(result.inserted).toBe(300);
    expect(result.plain[0]?.metadata?.topic).toBe('astronomy');
    for (const m of result.filtered) expect(m.metadata?.year).toBeGreaterThanOrEqual(2022);
    expect(result.filtered.map((m) => m.id)).not.toEqual(result.plain.map((m) => m.id));
    expect(result.context.map((m) => m.id)).not.toEqual(result.plain.map((m) => m.id));
    for (const m of result.context) expect(m.contextProbability).toBeGreaterThan(0);
    // Tunneling removes near-duplicates: fewer duplicate-cluster members than the plain top 5.
    const report = result.tunneling.tunneling;
    expect(result.tunneling.matches.map((m) => m.id)).not.toEqual(result.plain.map((m) => m.id));
    expect(report?.objective).toBeGreaterThan(report?.plainObjective ?? Number.POSITIVE_INFINITY);
    expect(result.entanglement.after).toBeGreaterThan(result.entanglement.before);
    expect(result.entanglement.yearCopied).toBe(true);
    expect(result.entanglement.correlation).toBe(0.6);
    for (const w of result.decoherence.weightsAfter2h) expect(w).toBeCloseTo(Math.exp(-2), 9);
    expect(result.decoherence.visibleAfter6h).toBe(0);
    expect(result.decoherence.purged).toBe(3);
    expect(result.totalRecordCount).toBe(300);
    expect(lines.join('\n')).toContain('tunneling objective');
  });
});
