import {
  type DatabaseMatch,
  type DatabaseQueryResult,
  MemoryStateStore,
  type Metadata,
  type QuantumBackend,
  QuantumDatabase,
  type StateStore,
  type VectorBackend,
} from '@q-store/core';
import { CORPUS, type CorpusEntry } from './corpus.js';
import { cosineSimilarity, createHashingEmbedder } from './embed.js';
import { progressBar } from './progress.js';

export interface DemoOptions {
  /** The vector store; the CLI passes embedded pgvector. */
  backend: VectorBackend;
  stateStore?: StateStore;
  /** Quantum backend for the sampled estimates; without one every feature runs classically. */
  quantum?: QuantumBackend;
  /** Shots per quantum estimate (default 1024) and the seed of sampling and annealing. */
  shots?: number;
  seed?: number;
  /** Where lines go; default console.log. */
  print?: (line: string) => void;
  /** Draw the ingest progress bar (TTY only); default false. */
  progress?: boolean;
  /** Runs after the bulk load, e.g. to build the HNSW index. */
  afterIngest?: () => Promise<void>;
}

export interface Doc extends Metadata {
  topic: string;
  year: number;
  text: string;
}

export interface DemoResult {
  inserted: number;
  query: string;
  plain: DatabaseMatch<Doc>[];
  filtered: DatabaseMatch<Doc>[];
  context: DatabaseMatch<Doc>[];
  tunneling: DatabaseQueryResult<Doc>;
  entanglement: { partner: string; before: number; after: number; yearCopied: boolean; correlation: number };
  decoherence: { weightsAfter2h: number[]; visibleAfter6h: number; purged: number | undefined };
  quantumStats: ReturnType<QuantumDatabase['getQuantumStats']>;
  totalRecordCount: number;
}

const HOUR = 3_600_000;

/**
 * The q-store scenario on real text: ingest the 300-sentence corpus with feature-hashing embeddings,
 * then a plain, a filtered, a context and a tunneling query side by side, an entanglement update,
 * decoherence over simulated hours, and the statistics.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const embedder = createHashingEmbedder();
  embedder.fit(CORPUS.map((entry) => entry.text));
  const clock = { now: Date.UTC(2026, 10, 22, 9) };
  const db = await QuantumDatabase.open<Doc>({
    backend: options.backend,
    stateStore: options.stateStore ?? new MemoryStateStore(),
    dimension: embedder.dimension,
    metric: 'cosine',
    ...(options.quantum ? { quantum: options.quantum } : {}),
    shots: options.shots ?? 1024,
    seed: options.seed ?? 2026,
    now: () => clock.now,
  });
  try {
    print(
      `q-store demo — ${CORPUS.length} sentences on 6 topics; embeddings: feature hashing (${embedder.dimension}-d, lexical, computed locally)`,
    );
    print(
      `store: ${options.backend.type} '${options.backend.indexName}' · quantum: ${options.quantum ? `${options.quantum.type}, ${options.shots ?? 1024} shots` : 'off (classical formulas)'}`,
    );

    // ------------------------------------------------------------------ ingest
    const bar = options.progress ? progressBar('ingest', CORPUS.length) : undefined;
    const started = performance.now();
    const { inserted } = await db.batchInsert({
      records: CORPUS.map((entry) => ({
        id: entry.id,
        vector: embedder.embed(entry.text),
        metadata: { topic: entry.topic, year: entry.year, text: entry.text },
        contexts: { ...entry.contexts },
      })),
      batchSize: 50,
      onProgress: ({ inserted: done }) => bar?.update(done),
    });
    bar?.stop();
    await options.afterIngest?.();
    print(
      `ingested ${inserted} records in ${(performance.now() - started).toFixed(0)} ms (batches of 50, then the index)`,
    );

    // ------------------------------------------------------------------ queries side by side
    const query = 'how does the telescope see galaxies in infrared light';
    const vector = embedder.embed(query);
    const topK = 5;
    const plain = (await db.query({ vector, topK })).matches;
    const filtered = (await db.query({ vector, topK, filter: { year: { $gte: 2022 } } })).matches;
    const context = (await db.query({ vector, topK, context: 'everyday' })).matches;
    const tunneling = await db.query({ vector, topK, tunneling: { lambda: 0.5 } });
    print(`\nquery: "${query}"`);
    const columns: Array<[string, DatabaseMatch<Doc>[]]> = [
      ['plain', plain],
      ['filter year ≥ 2022', filtered],
      ['context: everyday', context],
      [`tunneling (${tunneling.tunneling?.solver})`, tunneling.matches],
    ];
    print(columns.map(([title]) => `  ${title.padEnd(24)}`).join(''));
    for (let row = 0; row < topK; row++) {
      print(
        columns
          .map(([, matches]) => {
            const m = matches[row];
            return `  ${m ? `${m.id} ${m.score.toFixed(3)}`.padEnd(24) : ''.padEnd(24)}`;
          })
          .join(''),
      );
    }
    print('  (plain and filter: cosine similarity; context: cos·|α_c|²; tunneling: cos, chosen by the QUBO)');
    const shown = new Map<string, string>();
    for (const [, matches] of columns) for (const m of matches) shown.set(m.id, m.metadata?.text ?? '');
    for (const [id, text] of shown) print(`    ${id}  ${text.length > 96 ? `${text.slice(0, 95)}…` : text}`);
    const report = tunneling.tunneling;
    if (report) {
      print(
        `  tunneling objective f = Σ s_i x_i − λ Σ W_ij x_i x_j: ${report.objective.toFixed(3)} (plain top-5 ${report.plainObjective.toFixed(3)}, greedy MMR ${report.baselineObjective.toFixed(3)}; pool ${report.poolSize}, λ ${report.lambda}${report.circuits ? `, ${report.circuits} circuits` : ''})`,
      );
    }

    // ------------------------------------------------------------------ entanglement
    const group = pickGroup();
    await db.createEntangledGroup({
      groupId: 'rates',
      ids: group.map((e) => e.id),
      correlation: 0.6,
      propagateKeys: ['year'],
    });
    const [anchor, partner] = group as [CorpusEntry, CorpusEntry];
    const newText = `${anchor.text} Central banks publish these rates every quarter.`;
    const newVector = embedder.embed(newText);
    const before = cosineSimilarity((await db.fetch({ ids: [partner.id] })).get(partner.id)?.vector ?? [], newVector);
    const updated = await db.update({ id: anchor.id, vector: newVector, metadata: { text: newText, year: 2026 } });
    const partnerAfter = (await db.fetch({ ids: [partner.id] })).get(partner.id);
    const after = cosineSimilarity(partnerAfter?.vector ?? [], newVector);
    const correlation = await db.getCorrelation(anchor.id, partner.id);
    print(`\nentanglement: group 'rates' = ${group.map((e) => e.id).join(', ')} (correlation 0.6, propagates 'year')`);
    print(
      `  update ${anchor.id} → partners moved: ${updated.partnersUpdated.join(', ')}; cos(${partner.id}, new ${anchor.id}) ${before.toFixed(3)} → ${after.toFixed(3)}; year copied: ${partnerAfter?.metadata.year}`,
    );
    print(
      `  correlation(${anchor.id}, ${partner.id}) = ${correlation.toFixed(3)}${options.quantum ? ' (estimated from shots; exact 0.6)' : ''}`,
    );

    // ------------------------------------------------------------------ decoherence
    const news = [
      'Breaking: a new comet has been spotted near Jupiter by amateur astronomers tonight.',
      'Breaking: the central bank raised interest rates by a quarter point this morning.',
      'Breaking: the home team won the championship final in extra time.',
    ];
    await db.batchInsert({
      records: news.map((text, i) => ({
        id: `news-${i}`,
        vector: embedder.embed(text),
        metadata: { topic: 'news', year: 2026, text },
        coherenceTimeMs: HOUR,
      })),
    });
    clock.now += 2 * HOUR;
    const decayed = await db.query({ vector: embedder.embed(news[0] as string), topK: 3, filter: { topic: 'news' } });
    const weightsAfter2h = decayed.matches.map((m) => m.coherence ?? 1);
    print('\ndecoherence: 3 news items with τ = 1 h (lifetime 5 τ); simulated clock +2 h');
    for (const m of decayed.matches)
      print(
        `  ${m.id} coherence ${(m.coherence ?? 1).toFixed(3)} (exact e^−2 = ${Math.exp(-2).toFixed(3)}), score ${m.score.toFixed(3)}`,
      );
    clock.now += 4 * HOUR;
    const gone = await db.query({ vector: embedder.embed(news[0] as string), topK: 3, filter: { topic: 'news' } });
    const purge = await db.applyDecoherence();
    print(
      `  +6 h: ${gone.matches.length} news items visible; applyDecoherence() purged ${purge.deletedCount ?? `them (${options.backend.type} reports no count)`}`,
    );

    // ------------------------------------------------------------------ stats
    const stats = await db.getStats();
    const quantumStats = db.getQuantumStats();
    print(
      `\nstats: ${stats.totalRecordCount} records, ${stats.dimension}-d ${stats.metric}, ${stats.queries} queries, ${stats.entangledGroups} entangled group(s)`,
    );
    print(
      `quantum: ${quantumStats.backend ?? 'none'} — ${quantumStats.quantumCalls} calls, ${quantumStats.fallbacks} fallbacks, success ${quantumStats.successRate === null ? 'n/a' : `${(quantumStats.successRate * 100).toFixed(0)}%`}, latency p50 ${fmt(quantumStats.latencyMs.p50)} ms, p95 ${fmt(quantumStats.latencyMs.p95)} ms`,
    );
    return {
      inserted,
      query,
      plain,
      filtered,
      context,
      tunneling,
      entanglement: {
        partner: partner.id,
        before,
        after,
        yearCopied: partnerAfter?.metadata.year === 2026,
        correlation,
      },
      decoherence: { weightsAfter2h, visibleAfter6h: gone.matches.length, purged: purge.deletedCount },
      quantumStats,
      totalRecordCount: stats.totalRecordCount,
    };
  } finally {
    await db.close();
  }
}

/** The rule-of-72 paraphrases: an entangled group of near-identical sentences. */
function pickGroup(): CorpusEntry[] {
  const head = CORPUS.find((e) => /rule of 72/i.test(e.text) && e.duplicateOf === undefined);
  if (!head) throw new Error('corpus lacks the rule-of-72 cluster');
  return [head, ...CORPUS.filter((e) => e.duplicateOf === head.id)].slice(0, 3);
}

function fmt(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(1);
}
