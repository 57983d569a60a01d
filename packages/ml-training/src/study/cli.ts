/**
 * The study protocol as a command line: grid search (5-fold stratified) on the training set, then
 * 5-seed retraining of the best point, on a regenerated study dataset or your own CSV pair.
 *
 *   pnpm --filter @q-store/ml-training study -- --model DataReuploadingClassifier \
 *     --dataset linearly_separable:4 [--grid '{"learning_rate":[0.01,0.1]}'] [--fixed '{"max_steps":1000}'] \
 *     [--params '{"learning_rate":0.01,"n_layers":5}'] [--seeds 0,1,2,3,4] [--out result.json]
 *   … --train train.csv --test test.csv   (the study's format: no header, label ±1 last)
 *
 * With `--params` the grid search is skipped.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { ValidationError } from '@q-store/core';
import { generateStudyDataset, parseStudyCsv, STUDY_VARIANTS, type StudyFamily, type StudySplit } from './datasets.js';
import { meanStd, type StudyHyperparameters, studyGridSearch, studyRetrain } from './protocol.js';

function parseArgs(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') continue;
    if (!a.startsWith('--'))
      throw new ValidationError([{ field: a, message: 'expected --name value' }], `Unexpected argument ${a}`);
    out[a.slice(2)] = argv[i + 1] ?? '';
    i++;
  }
  return out;
}

const json = <T>(field: string, text: string | undefined): T | undefined => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ValidationError([{ field, message: 'must be JSON' }], `--${field} is not JSON`);
  }
};

export async function runStudyCli(
  argv: readonly string[],
  log: (line: string) => void = console.log,
): Promise<unknown> {
  const a = parseArgs(argv);
  const model = a.model;
  if (!model) throw new ValidationError([{ field: 'model', message: 'is required' }], 'Missing --model');
  let train: StudySplit;
  let test: StudySplit;
  if (a.dataset) {
    const [family, v] = a.dataset.split(':');
    if (!family || !(family in STUDY_VARIANTS))
      throw new ValidationError(
        [{ field: 'dataset', message: `family must be one of ${Object.keys(STUDY_VARIANTS).join(', ')}` }],
        'Bad --dataset',
      );
    ({ train, test } = generateStudyDataset(family as StudyFamily, Number(v)));
  } else if (a.train && a.test) {
    train = parseStudyCsv(await readFile(a.train, 'utf8'), a.train);
    test = parseStudyCsv(await readFile(a.test, 'utf8'), a.test);
  } else
    throw new ValidationError(
      [{ field: 'dataset', message: 'give --dataset family:variant or --train and --test' }],
      'No data',
    );
  const fixed = json<StudyHyperparameters>('fixed', a.fixed) ?? {};
  let params = json<StudyHyperparameters>('params', a.params);
  let search: Awaited<ReturnType<typeof studyGridSearch>> | undefined;
  if (!params) {
    search = await studyGridSearch({
      model,
      x: train.x,
      y: train.y,
      grid: json('grid', a.grid),
      fixed,
      onPoint: (r, i, n) => log(`grid ${i + 1}/${n} ${JSON.stringify(r.params)} cv accuracy ${r.meanScore.toFixed(4)}`),
    });
    params = search.best.params;
    log(`best ${JSON.stringify(params)} cv accuracy ${search.best.meanScore.toFixed(4)}`);
  }
  const seeds = (a.seeds ?? '0,1,2,3,4').split(',').map(Number);
  const runs = await studyRetrain({ model, params: { ...fixed, ...params }, train, test, seeds });
  const t = meanStd(runs.map((r) => r.testAccuracy));
  log(`test accuracy ${t.mean.toFixed(4)} ± ${t.std.toFixed(4)} over seeds ${seeds.join(',')}`);
  const result = { model, params, search, runs, testMean: t.mean, testStd: t.std };
  if (a.out) await writeFile(a.out, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
