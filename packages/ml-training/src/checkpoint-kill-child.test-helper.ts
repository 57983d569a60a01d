/**
 * Child process of the kill test in `file-checkpoint-store.test.ts` (run with
 * `node --conditions=@q-store/source --import tsx`): saves two small checkpoints, reports them, then
 * starts replacing epoch 2 with a huge one — the parent SIGKILLs it while that file is being written.
 * Arguments: <directory> <parameter count of the huge checkpoint>.
 */
import { FileCheckpointStore } from './file-checkpoint-store.js';

export const KILL_MODEL = 'killed-model';

/** The small checkpoints' parameters (the parent checks them bit for bit). */
export function smallParameters(epoch: number): Float64Array {
  return new Float64Array([-0, epoch / 3, Math.PI * epoch, 5e-324, -epoch]);
}

async function main(): Promise<void> {
  const [directory, countText] = process.argv.slice(2);
  const store = new FileCheckpointStore({ directory: directory as string });
  for (const epoch of [1, 2]) {
    const uri = await store.save({
      modelId: KILL_MODEL,
      epoch,
      parameters: smallParameters(epoch),
      optimizerState: { t: epoch },
      metrics: { loss: 1 / epoch },
    });
    process.stdout.write(`saved ${uri}\n`);
  }
  const huge = new Float64Array(Number(countText));
  for (let i = 0; i < huge.length; i++) huge[i] = i * 0.5;
  process.stdout.write('saving huge\n');
  await store.save({ modelId: KILL_MODEL, epoch: 2, parameters: huge });
  process.stdout.write('huge saved\n');
}

if (process.argv[1]?.includes('checkpoint-kill-child')) await main();
