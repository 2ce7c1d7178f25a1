#!/usr/bin/env node
// The `cogzy` command (package.json "bin"). Runs the bundle from `npm run build:cli` while it is up to date with
// every source it was built from, else shared/cli/main.ts through tsx (the TypeScript loader the repository already
// uses for its node tools), so a checkout works without a build step and never runs stale code.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const here = import.meta.dirname;
const root = resolve(here, '..', '..');
const bundle = join(here, 'dist', 'main.mjs');

function bundleIsFresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(join(here, 'dist', 'inputs.json'), 'utf8'));
    return Array.isArray(inputs) && inputs.every((path) => statSync(join(root, path)).mtimeMs <= built);
  } catch {
    return false;
  }
}

const { main } = bundleIsFresh()
  ? await import(pathToFileURL(bundle).href)
  : await (await import('tsx/esm/api')).tsImport('./main.ts', import.meta.url);
// stdout may still be draining into a pipe: set the code and let node exit when it is done.
process.exitCode = await main(process.argv.slice(2));
