// `npm run build:cli`: bundles the cogzy command into shared/cli/dist/main.mjs (packages stay external), so it
// starts without compiling TypeScript on every run. cogzy.mjs uses the bundle only while no source it was built
// from changed since (the list is kept beside it), and compiles on the fly through tsx otherwise.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..', '..');
const dist = join(root, 'shared', 'cli', 'dist');
const result = await build({
  absWorkingDir: root,
  entryPoints: ['shared/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile: join(dist, 'main.mjs'),
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs);
writeFileSync(join(dist, 'inputs.json'), `${JSON.stringify(inputs)}\n`);
console.log(`shared/cli/dist/main.mjs from ${inputs.length} sources`);
