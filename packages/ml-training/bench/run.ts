/** `pnpm --filter @q-store/ml-training bench [-- --study …]`: the training bench, or the study report. */
if (process.argv.includes('--study')) await import('./study.js');
else await import('./train.js');
