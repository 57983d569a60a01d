import {
  createBackend,
  createRng,
  type Filter,
  type Metadata,
  normalize,
  type QueryMatch,
  type VectorBackend,
} from '@q-store/core';

export interface DemoOptions {
  /** Records to insert (default 400). */
  records?: number;
  seed?: number;
  /** Where lines go; default console.log. */
  print?: (line: string) => void;
  /** Backend config, default the embedded in-memory backend. */
  backend?: { type: string; [option: string]: unknown };
}

export interface DemoResult {
  inserted: number;
  chunks: number;
  plain: QueryMatch<Product>[];
  filtered: QueryMatch<Product>[];
  filter: Filter<Product>;
  totalRecordCount: number;
}

export interface Product extends Metadata {
  category: string;
  price: number;
  year: number;
  inStock: boolean;
  tags: string[];
}

const CATEGORIES = ['books', 'music', 'garden', 'kitchen', 'toys'] as const;
const TAGS = ['new', 'sale', 'eco', 'gift', 'bulk', 'import'] as const;
const DIMENSION = 32;

/**
 * A product catalogue whose vectors cluster by category: each category has a random centre and its
 * items sit around it, so a query near one centre finds that category's items first.
 */
function catalogue(count: number, seed: number) {
  const rng = createRng(seed);
  const centres = CATEGORIES.map(() => Array.from({ length: DIMENSION }, () => rng.normal()));
  const records = Array.from({ length: count }, (_, i) => {
    const c = i % CATEGORIES.length;
    const centre = centres[c] as number[];
    const vector = normalize(centre.map((x) => x + 0.45 * rng.normal()));
    const tags = TAGS.filter(() => rng.float() < 0.3);
    const metadata: Product = {
      category: CATEGORIES[c] as string,
      price: Math.round(rng.float() * 20000) / 100,
      year: 2015 + rng.int(0, 10),
      inStock: rng.float() < 0.7,
      tags,
    };
    return { id: `item-${String(i).padStart(4, '0')}`, vector, metadata };
  });
  return { records, centres };
}

function table(matches: QueryMatch<Product>[]): string[] {
  return matches.map((m) => {
    const md = m.metadata as Product;
    return `  ${m.id}  score ${m.score.toFixed(4)}  ${md.category.padEnd(8)} $${md.price.toFixed(2).padStart(7)}  ${md.year}  ${md.inStock ? 'in stock' : 'sold out'}  [${md.tags.join(', ')}]`;
  });
}

/** Create an index, insert a catalogue, run a plain and a filtered query, print stats. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const count = options.records ?? 400;
  const seed = options.seed ?? 2026;
  const backend = (await createBackend<Product>(
    options.backend ?? { type: 'memory', indexName: 'demo-products' },
  )) as VectorBackend<Product>;
  try {
    const index = await backend.ensureIndex({ dimension: DIMENSION, metric: 'cosine' });
    print(`q-store demo — backend '${backend.type}', index '${index.name}' (${index.dimension}-d, ${index.metric})`);

    const { records, centres } = catalogue(count, seed);
    const { upsertedCount, chunks } = await backend.upsert({ records });
    print(`inserted ${upsertedCount} records in ${chunks} request(s)`);

    const query = normalize(centres[2] as number[]); // near the 'garden' centre
    const plain = (await backend.query({ vector: query, topK: 5 })).matches;
    print('\nquery near "garden", top 5:');
    for (const line of table(plain)) print(line);

    const filter: Filter<Product> = { inStock: true, price: { $lt: 50 }, tags: { $in: ['sale', 'eco'] } };
    const filtered = (await backend.query({ vector: query, topK: 5, filter })).matches;
    print(`\nsame query, filter ${JSON.stringify(filter)}:`);
    for (const line of table(filtered)) print(line);

    const stats = await backend.stats();
    print(`\nstats: ${stats.totalRecordCount} records, dimension ${stats.dimension}, metric ${stats.metric}`);
    return { inserted: upsertedCount, chunks, plain, filtered, filter, totalRecordCount: stats.totalRecordCount };
  } finally {
    await backend.close();
  }
}
