// Floors on the retrieval-quality harness (tests/support/quality-harness.ts; `npm run bench -- quality` prints the
// whole table): keyword search ranks natural questions at least as well as a plain BM25 over the same exchanges, and
// hybrid search with the stand-in embeddings (hashed words, no meaning) never ranks below keyword search alone.
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { runQualityHarness, type QualityReport } from '../support/quality-harness';

let report: QualityReport;

beforeAll(async () => {
  report = await runQualityHarness();
}, 240_000);

describe('retrieval quality on natural questions', () => {
  it('asks hundreds of labelled questions', () => {
    expect(report.questions).toBeGreaterThanOrEqual(300);
  });

  it('keyword recall@5 is never below the plain BM25 reference, and no question with a known word finds nothing', () => {
    const { keyword, reference } = report.scores;
    expect(keyword.recall5).toBeGreaterThanOrEqual(reference.recall5);
    expect(keyword.empty).toBe(0);
  });

  it('hybrid with a weak semantic signal never ranks below keyword alone', () => {
    const { keyword, hybrid } = report.scores;
    expect(hybrid.recall1).toBeGreaterThanOrEqual(keyword.recall1);
    expect(hybrid.recall5).toBeGreaterThanOrEqual(keyword.recall5);
    expect(hybrid.recall10).toBeGreaterThanOrEqual(keyword.recall10);
    expect(hybrid.mrr).toBeGreaterThanOrEqual(keyword.mrr - 1e-9);
  });
});
