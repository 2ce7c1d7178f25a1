#!/usr/bin/env node
// The `cogzy` command (package.json "bin"): runs shared/cli/main.ts through tsx, the TypeScript loader the repository
// already uses for its node tools, so a checkout needs no build step.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('./main.ts', import.meta.url);
const code = await main(process.argv.slice(2));
// stdout may still be draining into a pipe: set the code and let node exit when it is done.
process.exitCode = code;
