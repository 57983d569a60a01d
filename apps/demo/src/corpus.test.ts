import { describe, expect, it } from 'vitest';
import { CORPUS, CORPUS_CONTEXTS, CORPUS_TOPICS, type CorpusEntry } from './corpus.js';
import { cosineSimilarity, createHashingEmbedder } from './embed.js';

const byId = new Map(CORPUS.map((e) => [e.id, e]));

/** Clusters of near-duplicates keyed by the cluster's first id (which is itself a member). */
function clusters(): Map<string, CorpusEntry[]> {
  const out = new Map<string, CorpusEntry[]>();
  for (const entry of CORPUS) {
    if (entry.duplicateOf === undefined) continue;
    const head = byId.get(entry.duplicateOf);
    if (head === undefined) continue;
    const members = out.get(head.id) ?? [head];
    members.push(entry);
    out.set(head.id, members);
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('CORPUS', () => {
  it('has at least 280 entries with unique ids and unique texts, at least 45 per topic', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(280);
    expect(new Set(CORPUS.map((e) => e.id)).size).toBe(CORPUS.length);
    expect(new Set(CORPUS.map((e) => e.text)).size).toBe(CORPUS.length);
    for (const topic of CORPUS_TOPICS) {
      expect(CORPUS.filter((e) => e.topic === topic).length, topic).toBeGreaterThanOrEqual(45);
    }
    for (const e of CORPUS) expect(CORPUS_TOPICS, e.id).toContain(e.topic);
  });

  it('has sentences of 10–25 words and years from 2015 to 2025, with every year used', () => {
    for (const e of CORPUS) {
      const words = e.text.split(/\s+/).length;
      expect(words, e.id).toBeGreaterThanOrEqual(10);
      expect(words, e.id).toBeLessThanOrEqual(25);
      expect(Number.isInteger(e.year) && e.year >= 2015 && e.year <= 2025, e.id).toBe(true);
    }
    expect(new Set(CORPUS.map((e) => e.year)).size).toBe(11);
  });

  it('weights only the declared contexts, each positive, summing to 1', () => {
    for (const e of CORPUS) {
      const entries = Object.entries(e.contexts);
      expect(entries.length, e.id).toBeGreaterThan(0);
      for (const [name, weight] of entries) {
        expect(CORPUS_CONTEXTS, e.id).toContain(name);
        expect(weight, e.id).toBeGreaterThan(0);
      }
      expect(
        entries.reduce((s, [, w]) => s + w, 0),
        e.id,
      ).toBeCloseTo(1, 9);
    }
  });

  it('varies the dominant context within every topic, so a context query can re-rank it', () => {
    for (const topic of CORPUS_TOPICS) {
      for (const context of CORPUS_CONTEXTS) {
        const dominant = CORPUS.filter((e) => {
          if (e.topic !== topic) return false;
          const weights = Object.values(e.contexts);
          return (e.contexts[context] ?? 0) === Math.max(...weights);
        });
        expect(dominant.length, `${topic}/${context}`).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it('has 8 near-duplicate clusters of 4–5, each pointing at an existing first entry of the same topic', () => {
    for (const e of CORPUS) {
      if (e.duplicateOf === undefined) continue;
      const head = byId.get(e.duplicateOf);
      expect(head, e.id).toBeDefined();
      expect(head?.topic, e.id).toBe(e.topic);
      expect(head?.duplicateOf, e.id).toBeUndefined();
    }
    const sizes = [...clusters().values()].map((m) => m.length);
    expect(sizes).toHaveLength(8);
    for (const size of sizes) expect(size === 4 || size === 5).toBe(true);
  });

  it('makes each cluster more similar within itself than to the rest of its topic (by the embedder)', () => {
    const embedder = createHashingEmbedder();
    embedder.fit(CORPUS.map((e) => e.text));
    const vector = new Map(CORPUS.map((e) => [e.id, embedder.embed(e.text)]));
    const cos = (a: CorpusEntry, b: CorpusEntry) => cosineSimilarity(vector.get(a.id) ?? [], vector.get(b.id) ?? []);
    for (const [head, members] of clusters()) {
      const ids = new Set(members.map((m) => m.id));
      const rest = CORPUS.filter((e) => e.topic === members[0]?.topic && !ids.has(e.id));
      const within = mean(members.flatMap((a, i) => members.slice(i + 1).map((b) => cos(a, b))));
      const outside = mean(members.flatMap((a) => rest.map((b) => cos(a, b))));
      // Measured: within-cluster means 0.55–0.90, to the rest of the topic 0.015–0.064.
      expect(within, head).toBeGreaterThan(0.4);
      expect(within, head).toBeGreaterThan(outside + 0.3);
    }
  });
});
