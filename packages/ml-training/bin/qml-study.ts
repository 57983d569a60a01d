import { runStudyCli } from '../src/study/cli.js';

runStudyCli(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
