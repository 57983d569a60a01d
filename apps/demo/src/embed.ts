import { IssueCollector } from '@q-store/core/backend';

/**
 * A local text embedder by feature hashing (the "hashing trick"). It downloads nothing, uses no
 * randomness and gives the same vector for the same text (and the same `fit` corpus) on every run.
 *
 * For a text it computes:
 * 1. **Tokens**: lowercase, split on every run of characters that are neither letters nor digits
 *    (Unicode-aware), drop the words in {@link STOP_WORDS}, then {@link stem} each word.
 * 2. **Features** (strings, each kind with its own prefix so kinds never collide):
 *    - word unigrams `w:<stem>`,
 *    - word bigrams `b:<stem1> <stem2>` of adjacent tokens (after stop-word removal),
 *    - character trigrams `c:<xyz>` of each token wrapped in boundary markers (`^run$` gives
 *      `^ru`, `run`, `un$`; a one-letter token gives its single marked form `^x$`).
 * 3. **Hashing**: h = fmix32(FNV-1a-32(UTF-8 bytes of the feature)) — {@link fnv1a32} followed by
 *    MurmurHash3's 32-bit finaliser {@link fmix32} to spread FNV's weak low bits. The bucket is
 *    `h mod dimension`, the sign is `+1` if bit 31 of h is 0 and `−1` otherwise.
 * 4. **Weights**: a feature occurring tf times in the text adds `sign × (1 + ln tf) × idf`
 *    to its bucket, where idf = ln((1 + N) / (1 + df)) + 1 (smooth idf) over the N texts passed to
 *    `fit`, df is the number of those texts containing the feature, and a feature `fit` never saw
 *    gets the largest idf, ln(1 + N) + 1. Before `fit` is called every idf is 1 (plain sublinear TF).
 * 5. **Normalisation**: the vector is divided by its L2 norm; a text with no features (empty, or
 *    only stop words and punctuation) gives the zero vector.
 *
 * Signed hashing keeps inner products unbiased: two texts sharing no feature have an expected
 * cosine of 0, with collision noise of order 1/√dimension.
 *
 * It is **lexical**: similarity comes only from shared words, stems, adjacent word pairs and
 * character trigrams. It knows no synonyms and no meaning ("car" and "automobile" are unrelated).
 */
export interface HashingEmbedder {
  /** Length of every vector `embed` returns. */
  readonly dimension: number;
  /** Learns document frequencies over `texts` (replacing any earlier fit) for the idf weights. */
  fit(texts: readonly string[]): void;
  /** The L2-normalised feature-hashing vector of `text` (all zeros if it has no features). */
  embed(text: string): Float32Array;
}

export interface HashingEmbedderOptions {
  /**
   * Number of hash buckets (the vector length), an integer in [1, 2^20]. Default 1024: collision
   * noise has a standard deviation of about 1/√dimension, and on the demo corpus 1024 buckets
   * retrieve clearly better than 256 (measured in `embed.test.ts`).
   */
  dimension?: number;
}

export const MAX_HASHING_DIMENSION = 2 ** 20;

/** The small English stop-word list dropped before features are built. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but nor if then than so as of in on at to for from by with about into onto over ' +
    'under between through during before after up down out off is are was were be been being am do does ' +
    'did has have had having it its this that these those there here which who whom whose what when where ' +
    'why how i me my we our you your he him his she her they them their not no can could would should ' +
    'will shall may might must also just only very too each every all any both some such own same other s t'
  ).split(' '),
);

/**
 * Light suffix stemming, so that plurals and -ing/-ed forms meet their base word:
 * 1. Plural: `-sses` → `-ss`, or `-ies` → `-y` (words of 5+ letters), or a final `-s` is removed
 *    from words of 4+ letters not ending in `-ss`, `-us` or `-is`.
 * 2. Then `-ing` or `-ed` is removed when at least three letters remain, and a doubled final
 *    consonant other than l, s, z is undoubled if four letters remain (`running` → `run`,
 *    `earnings` → `earn`, `falling` → `fall`).
 * 3. Then a final `-e` is dropped when at least four letters remain (`rate`, `rates`, `rated` →
 *    `rat`; `optimise`, `optimising` → `optimis`).
 * Tokens containing a digit are left alone. It is deliberately crude: irregular forms (`ran`,
 * `mice`) are not related to their lemmas, and unrelated words can meet (`string` → `str`).
 */
export function stem(word: string): string {
  if (/\d/u.test(word)) return word;
  return dropFinalE(stripSuffix(word));
}

function stripSuffix(word: string): string {
  let w = word;
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('ies') && w.length >= 5) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('s') && w.length >= 4 && !/(?:ss|us|is)$/u.test(w)) w = w.slice(0, -1);
  for (const suffix of ['ing', 'ed']) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 3) return undouble(w.slice(0, -suffix.length));
  }
  return w;
}

function dropFinalE(s: string): string {
  return s.length >= 4 && s.endsWith('e') ? s.slice(0, -1) : s;
}

function undouble(s: string): string {
  const last = s.at(-1) ?? '';
  return s.length >= 4 && last === s.at(-2) && /[b-df-hj-km-np-rtv-y]/u.test(last) ? s.slice(0, -1) : s;
}

/** Lowercased, stop-word-free, stemmed tokens of `text` (step 1 of {@link HashingEmbedder}). */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const raw of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (raw === '' || STOP_WORDS.has(raw)) continue;
    tokens.push(stem(raw));
  }
  return tokens;
}

/** Feature counts of `text` by feature string (step 2 of {@link HashingEmbedder}). */
export function textFeatures(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (feature: string) => counts.set(feature, (counts.get(feature) ?? 0) + 1);
  const tokens = tokenize(text);
  tokens.forEach((token, i) => {
    add(`w:${token}`);
    const next = tokens[i + 1];
    if (next !== undefined) add(`b:${token} ${next}`);
    const chars = Array.from(`^${token}$`);
    for (let j = 0; j + 3 <= chars.length; j++) add(`c:${chars.slice(j, j + 3).join('')}`);
  });
  return counts;
}

const encoder = new TextEncoder();

/** 32-bit FNV-1a over the UTF-8 bytes of `s`: h = 2166136261; per byte h = (h XOR byte) × 16777619 mod 2^32. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(s)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

/** MurmurHash3's 32-bit finaliser (avalanche): xor-shift 16, × 0x85ebca6b, xor-shift 13, × 0xc2b2ae35, xor-shift 16. */
export function fmix32(h: number): number {
  let x = h >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Σ aᵢbᵢ / (‖a‖‖b‖); 0 when either vector is zero. Vectors from `embed` are unit length, so this is their dot product. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Creates a {@link HashingEmbedder}; see its doc comment for exactly what it computes. */
export function createHashingEmbedder(options: HashingEmbedderOptions = {}): HashingEmbedder {
  const dimension = options.dimension ?? 1024;
  const issues = new IssueCollector();
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > MAX_HASHING_DIMENSION) {
    issues.add(
      'dimension',
      `must be an integer from 1 to ${MAX_HASHING_DIMENSION}, got ${dimension}`,
      MAX_HASHING_DIMENSION,
    );
  }
  issues.throwIfAny('Invalid hashing embedder options');

  let idf = new Map<string, number>();
  let unknownIdf = 1;

  return {
    dimension,
    fit(texts) {
      const df = new Map<string, number>();
      for (const text of texts)
        for (const feature of textFeatures(text).keys()) df.set(feature, (df.get(feature) ?? 0) + 1);
      const n = texts.length;
      idf = new Map();
      for (const [feature, count] of df) idf.set(feature, Math.log((1 + n) / (1 + count)) + 1);
      unknownIdf = Math.log(1 + n) + 1;
    },
    embed(text) {
      const acc = new Float64Array(dimension);
      for (const [feature, tf] of textFeatures(text)) {
        const h = fmix32(fnv1a32(feature));
        const bucket = h % dimension;
        const sign = h >>> 31 === 0 ? 1 : -1;
        acc[bucket] = (acc[bucket] ?? 0) + sign * (1 + Math.log(tf)) * (idf.get(feature) ?? unknownIdf);
      }
      let norm = 0;
      for (const v of acc) norm += v * v;
      norm = Math.sqrt(norm);
      const out = new Float32Array(dimension);
      if (norm > 0) for (let i = 0; i < dimension; i++) out[i] = (acc[i] ?? 0) / norm;
      return out;
    },
  };
}
