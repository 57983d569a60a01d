#!/usr/bin/env node
// The `q-store-worker` bin: see worker-cli.ts.
import { workerCli } from './worker-cli.js';

await workerCli(process.argv.slice(2));
