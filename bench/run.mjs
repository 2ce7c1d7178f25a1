#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts in turn (or those named as arguments, e.g. `npm run bench -- import`).
// Each benchmark prints its own figures and its ratio against a baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dir = resolve(import.meta.dirname);
const wanted = process.argv.slice(2);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
// A name that is exactly a benchmark's picks that one only (`sync` is not also `cli-sync`); otherwise any containing it.
const matches = (w) => (all.includes(`${w}.bench.ts`) ? [`${w}.bench.ts`] : all.filter((f) => f.includes(w)));
const files = wanted.length === 0 ? all : all.filter((f) => wanted.some((w) => matches(w).includes(f)));
let failed = 0;
for (const file of files) {
  console.log(`\n##### ${file}`);
  const run = spawnSync(process.execPath, [join(dir, '..', 'node_modules/tsx/dist/cli.mjs'), join(dir, file)], { stdio: 'inherit' });
  if (run.status !== 0) failed += 1;
}
if (files.length === 0) console.log('No benchmarks matched.');
process.exit(failed > 0 ? 1 : 0);
