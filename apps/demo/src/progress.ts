import { SingleBar } from 'cli-progress';

/** A one-line progress bar on stderr (cli-progress); draws only on a TTY. */
export function progressBar(label: string, total: number): { update(done: number): void; stop(): void } {
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} ({percentage}%)`,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    stream: process.stderr,
  });
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
