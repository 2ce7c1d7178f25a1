/**
 * `npm run bench -- quality`: retrieval quality on the labelled question set (tests/support/quality-corpus.ts),
 * recall@1/5/10 and MRR for keyword, semantic and hybrid search and a plain BM25 reference, in node on
 * fake-indexeddb through the real import pipeline. See tests/support/quality-harness.ts.
 */
import 'fake-indexeddb/auto';
import { formatQualityReport, runQualityHarness } from '../tests/support/quality-harness';

const started = performance.now();
const report = await runQualityHarness();
console.log(formatQualityReport(report));
console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`);
