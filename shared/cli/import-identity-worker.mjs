// Worker threads do not inherit tsx's TypeScript loader (as in tests/support/bounded-import-worker.mjs): load the
// identity worker's TypeScript through tsx.
import { tsImport } from 'tsx/esm/api';

await tsImport('./import-identity-worker.ts', import.meta.url);
