import { ValidationError } from '@q-store/core';
import { describe, expect, it } from 'vitest';
import { CORPUS, CORPUS_TOPICS, type CorpusTopic } from './corpus.js';
import { cosineSimilarity, createHashingEmbedder, fnv1a32, stem, textFeatures, tokenize } from './embed.js';

const TEXTS = CORPUS.map((e) => e.text);

function fitted(dimension?: number) {
  const embedder = createHashingEmbedder(dimension === undefined ? {} : { dimension });
  embedder.fit(TEXTS);
  return embedder;
}

/** Held-out queries (not corpus sentences); the first of each topic is the one the brief names. */
const QUERIES: Record<CorpusTopic, readonly string[]> = {
  astronomy: [
    'how do black holes bend light',
    'which planets and moons can I see with a small telescope',
    'what happens when a massive star explodes and collapses',
  ],
  cooking: [
    'how long should I rest a roast before slicing the meat',
    'why does bread dough need yeast and kneading',
    'tips for seasoning a sauce with salt and lemon',
  ],
  finance: [
    'how do interest rates affect bond prices and mortgages',
    'should I invest my savings in an index fund or pay off my credit card',
    'how are company shares valued by investors',
  ],
  medicine: [
    'which vaccines protect against infections and how does the immune system respond',
    'what causes high blood pressure and heart disease',
    'how are new drugs tested in clinical trials',
  ],
  software: [
    'how does a compiler optimise code and manage memory',
    'how to protect my accounts from hackers with better passwords',
    'running tests on every commit before deploying containers',
  ],
  sports: [
    'how do athletes train for endurance races without injury',
    'how much money do football clubs earn from television and sponsors',
    'rules for scoring goals and points in team sports',
  ],
};

/** How many of the 5 nearest corpus entries (by cosine) to `query` belong to `topic`. */
function topFiveHits(embed: (text: string) => Float32Array, vectors: Float32Array[], query: string, topic: string) {
  const q = embed(query);
  return CORPUS.map((entry, i) => ({ entry, score: cosineSimilarity(q, vectors[i] ?? new Float32Array()) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, 5)
    .filter((m) => m.entry.topic === topic).length;
}

function hitsPerQuery(embed: (text: string) => Float32Array): Record<CorpusTopic, number[]> {
  const vectors = TEXTS.map(embed);
  const out = {} as Record<CorpusTopic, number[]>;
  for (const topic of CORPUS_TOPICS) out[topic] = QUERIES[topic].map((q) => topFiveHits(embed, vectors, q, topic));
  return out;
}

const total = (hits: Record<CorpusTopic, number[]>) =>
  Object.values(hits)
    .flat()
    .reduce((a, b) => a + b, 0);

/** Mean |cos| and mean cos over all pairs of corpus entries from different topics. */
function crossTopicCosines(embed: (text: string) => Float32Array) {
  const vectors = TEXTS.map(embed);
  let absSum = 0;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < CORPUS.length; i++) {
    for (let j = i + 1; j < CORPUS.length; j++) {
      if (CORPUS[i]?.topic === CORPUS[j]?.topic) continue;
      const c = cosineSimilarity(vectors[i] ?? [], vectors[j] ?? []);
      absSum += Math.abs(c);
      sum += c;
      n++;
    }
  }
  return { meanAbs: absSum / n, mean: sum / n, pairs: n };
}

/** A control: a seeded pseudo-random unit vector per distinct text (mulberry32 seeded by FNV-1a). */
function randomEmbed(dimension: number) {
  return (text: string) => {
    let state = fnv1a32(text);
    const next = () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32 - 0.5;
    };
    const v = Float32Array.from({ length: dimension }, next);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
}

describe('hashing primitives', () => {
  it('FNV-1a 32 matches the published test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('stems plurals, -ing, -ed and a final e to a shared form', () => {
    expect(['running', 'run', 'runs'].map(stem)).toEqual(['run', 'run', 'run']);
    expect(['rate', 'rates', 'rated'].map(stem)).toEqual(['rat', 'rat', 'rat']);
    expect(['optimise', 'optimising'].map(stem)).toEqual(['optimis', 'optimis']);
    expect(['earnings', 'studies', 'classes', 'analysis', 'bus', 'falling', '9.58'].map(stem)).toEqual([
      'earn',
      'study',
      'class',
      'analysis',
      'bus',
      'fall',
      '9.58',
    ]);
  });

  it('tokenizes on non-letters/digits, lowercases and drops stop words', () => {
    expect(tokenize("The Sun's core: it FUSES hydrogen (and helium-3)!")).toEqual([
      'sun',
      'cor',
      'fus',
      'hydrogen',
      'helium',
      '3',
    ]);
  });

  it('builds unigram, bigram and boundary-marked character trigram features', () => {
    expect(Object.fromEntries(textFeatures('Running dogs, running'))).toEqual({
      'w:run': 2,
      'w:dog': 1,
      'b:run dog': 1,
      'b:dog run': 1,
      'c:^ru': 2,
      'c:run': 2,
      'c:un$': 2,
      'c:^do': 1,
      'c:dog': 1,
      'c:og$': 1,
    });
    expect(Object.fromEntries(textFeatures('x'))).toEqual({ 'w:x': 1, 'c:^x$': 1 });
  });
});

describe('createHashingEmbedder', () => {
  it('is deterministic: two embedders fitted on the same texts give bit-identical vectors', () => {
    const a = fitted();
    const b = fitted();
    for (const text of TEXTS.slice(0, 40)) expect(Array.from(a.embed(text))).toEqual(Array.from(b.embed(text)));
    expect(Array.from(a.embed(TEXTS[0] ?? ''))).toEqual(Array.from(a.embed(TEXTS[0] ?? '')));
  });

  it('returns unit vectors of the configured length, and the zero vector for a text without features', () => {
    const embedder = fitted(300);
    expect(embedder.dimension).toBe(300);
    for (const text of TEXTS) {
      const v = embedder.embed(text);
      expect(v).toHaveLength(300);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
    expect(Array.from(embedder.embed('the and of, to!')).every((x) => x === 0)).toBe(true);
    expect(createHashingEmbedder().dimension).toBe(1024);
  });

  it('gives cosine 1 for identical text and ranks a paraphrase above an unrelated sentence', () => {
    const embedder = fitted();
    const text = 'Bond prices fall when interest rates rise.';
    expect(cosineSimilarity(embedder.embed(text), embedder.embed(text))).toBeCloseTo(1, 6);
    const paraphrase = cosineSimilarity(
      embedder.embed(text),
      embedder.embed('When interest rates are rising, the prices of bonds fall.'),
    );
    const unrelated = cosineSimilarity(
      embedder.embed(text),
      embedder.embed('Kneading develops gluten in bread dough before baking.'),
    );
    expect(paraphrase).toBeGreaterThan(0.5);
    expect(paraphrase).toBeGreaterThan(unrelated + 0.4);
  });

  it('signed hashing keeps texts of different topics near-orthogonal', () => {
    const wide = crossTopicCosines(fitted().embed);
    const narrow = crossTopicCosines(fitted(256).embed);
    // Measured: mean |cos| 0.0355 with 1024 buckets, 0.0552 with 256, over 37,500 cross-topic pairs.
    expect(wide.pairs).toBe(37_500);
    expect(wide.meanAbs).toBeLessThan(0.05);
    expect(narrow.meanAbs).toBeLessThan(0.07);
  });

  it('±1 signs cancel collisions: texts sharing no feature have mean cosine ≈ 0, spread ≈ √(2/(π·d))', () => {
    const features = TEXTS.map((t) => new Set(textFeatures(t).keys()));
    const disjoint: [number, number][] = [];
    for (let i = 0; i < TEXTS.length; i++) {
      for (let j = i + 1; j < TEXTS.length; j++) {
        if (![...(features[i] ?? [])].some((f) => features[j]?.has(f))) disjoint.push([i, j]);
      }
    }
    expect(disjoint.length).toBeGreaterThan(1000); // measured 1358
    for (const dimension of [256, 1024]) {
      const vectors = TEXTS.map(fitted(dimension).embed);
      const cosines = disjoint.map(([i, j]) => cosineSimilarity(vectors[i] ?? [], vectors[j] ?? []));
      const mean = cosines.reduce((a, b) => a + b, 0) / cosines.length;
      const meanAbs = cosines.reduce((a, b) => a + Math.abs(b), 0) / cosines.length;
      // Measured: mean −0.0044 / −0.0020, mean |cos| 0.0480 / 0.0246 against 0.0499 / 0.0249 expected
      // for random unit vectors. Unsigned hashing would make every collision add, so the mean would be > 0.
      expect(Math.abs(mean), `d=${dimension}`).toBeLessThan(0.01);
      expect(meanAbs / Math.sqrt(2 / (Math.PI * dimension)), `d=${dimension}`).toBeGreaterThan(0.8);
      expect(meanAbs / Math.sqrt(2 / (Math.PI * dimension)), `d=${dimension}`).toBeLessThan(1.2);
    }
  });

  it('idf downweights a word that appears in every text; an unseen word gets the largest idf', () => {
    const embedder = createHashingEmbedder({ dimension: 4096 });
    const tiny = [
      'the market rose sharply today',
      'the market fell as bonds rallied',
      'market makers quote prices all day',
      'traders watch the market closely',
      'a quiet market before the holiday',
    ];
    const both = 'market bonds';
    const toMarket = () => cosineSimilarity(embedder.embed(both), embedder.embed('market'));
    const toBonds = () => cosineSimilarity(embedder.embed(both), embedder.embed('bonds'));
    // Unfitted (every idf 1): "market" has 7 features (word + 6 trigrams), "bond" 5, so "market" dominates.
    expect(toMarket()).toBeGreaterThan(toBonds() + 0.1);
    embedder.fit(tiny);
    // Fitted: "market" is in all 5 texts (idf ln(6/6)+1 = 1), "bond" in 1 (idf ln(6/2)+1 ≈ 2.10).
    expect(toBonds()).toBeGreaterThan(toMarket() + 0.3);
    // "zyzzyva" was never seen: idf ln(6)+1 ≈ 2.79, the largest.
    const unseen = 'market zyzzyva';
    expect(cosineSimilarity(embedder.embed(unseen), embedder.embed('zyzzyva'))).toBeGreaterThan(
      cosineSimilarity(embedder.embed(unseen), embedder.embed('market')) + 0.3,
    );
  });

  it('retrieves on topic: ≥ 4 of the top 5 for each topic, where a random embedder does not', () => {
    const embedder = fitted();
    const hits = hitsPerQuery(embedder.embed);
    // Measured (first, second, third query): astronomy 5 5 4, cooking 4 4 3, finance 5 3 4,
    // medicine 5 5 5, software 5 3 4, sports 4 2 5: 75 of 90.
    for (const topic of CORPUS_TOPICS) expect(hits[topic][0], topic).toBeGreaterThanOrEqual(4);
    expect(total(hits)).toBeGreaterThanOrEqual(70);
    // A random embedding places ~5/6 of the top 5 off topic: 15 of 90 expected, 15 measured.
    expect(total(hitsPerQuery(randomEmbed(1024)))).toBeLessThanOrEqual(30);
    // The default of 1024 buckets beats 256 (measured 65 of 90) because collision noise is halved.
    expect(total(hitsPerQuery(fitted(256).embed))).toBeLessThan(total(hits));
  });

  it('rejects a dimension outside [1, 2^20] with a ValidationError naming the field', () => {
    for (const dimension of [0, 1.5, 2 ** 20 + 1, Number.NaN]) {
      expect(() => createHashingEmbedder({ dimension })).toThrow(ValidationError);
    }
    expect(() => createHashingEmbedder({ dimension: 0 })).toThrow(/dimension/);
  });
});
