// What the import history says: the outcome line and the notes describe skipped records the same way, on-purpose
// skips are not called unreadable, and a quick import does not "take 0 s".
import { describe, expect, it } from 'vitest';
import type { ImportRow } from '../../web/src/db/database';
import { formatDuration } from '../../web/src/ui/format';
import { skipSentences } from '../../web/src/vault/import-text';
import { describeImport } from '../../web/src/vault/imports';

const row: ImportRow = {
  id: 1,
  fileName: 'MyActivity.json',
  provider: 'gemini',
  bytes: 2048,
  fileKey: 'k',
  status: 'complete',
  progress: { bytesRead: 2048, conversations: 4, nodes: 9 },
  checkpoint: null,
  counts: { created: 9, deduplicated: 0, skipped: 3, conversationsCreated: 4, conversationsUpdated: 0, skippedDeleted: 0 },
  skippedByReason: { 'unsupported-record': 2, 'bad-timestamp': 1 },
  warnings: {},
  error: null,
  notices: [],
  timings: { createdAt: 0, startedAt: 0, finishedAt: 300, parseMs: 100, writeMs: 100 },
};

describe('import wording', () => {
  it('the outcome line uses the same sentences as the notes and does not call on-purpose skips unreadable', () => {
    const outcome = describeImport(row);
    const notes = skipSentences(row);
    expect(notes).toEqual(['2 entries are not chat history (kept out on purpose)', '1 record had an unreadable date and was left out']);
    for (const note of notes) expect(outcome.toLowerCase()).toContain(note.toLowerCase());
    expect(outcome).not.toMatch(/3 records were skipped/);
    expect(outcome).toMatch(/^Added 9 exchanges from Gemini in 4 conversations\. 2 entries are not chat history/);
  });

  it('durations under a second say so', () => {
    expect(formatDuration(0)).toBe('under a second');
    expect(formatDuration(300)).toBe('under a second');
    expect(formatDuration(1400)).toBe('1 s');
    expect(formatDuration(75_000)).toBe('1 min 15 s');
  });
});
