// Worker threads do not inherit the test runner's TypeScript loader: load the worker's TypeScript through tsx.
import { tsImport } from 'tsx/esm/api';

await tsImport('./bounded-import-worker.ts', import.meta.url);
