import fc from 'fast-check';
import { Zip, ZipDeflate, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { importExport, type ImportReport, type ImportSource } from '../../shared/import';
import { importWithHeapLimit } from '../support/bounded-import';
import { generateExport, conversation } from '../support/generate-chatgpt';
import { chatgptComb, claudeComb, copilotHugeField, copilotUnclosedQuote, geminiActivityHtml, geminiActivityJson, lyingZipBomb, redosHtml } from '../support/generate-hostile';
import { MemoryStore, bytesSource, nodeDigest, runImport } from '../support/import-helpers';

const encode = (text: string) => new TextEncoder().encode(text);
const sumSkipped = (report: ImportReport) => Object.values(report.skipped).reduce((a, b) => a + b, 0);

const t1 = generateExport({ seed: 21, conversations: 4 });
const t1Bytes = encode(t1.json);
const t1Nodes = t1.activeNodes + t1.inactiveNodes;

/** A zip written the way streaming tools write it: data descriptors after each entry, sizes unknown up front. */
function streamedZip(files: Record<string, Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  const zip = new Zip((error, chunk) => {
    if (error) throw error;
    parts.push(chunk);
  });
  for (const [name, data] of Object.entries(files)) {
    const entry = new ZipDeflate(name, { level: 6 });
    zip.add(entry);
    entry.push(data, true);
  }
  zip.end();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const image = new Uint8Array(4096).map((_, i) => (i * 7919) % 251);

describe('zip exports', () => {
  it('reads conversations.json from a zip, skipping images and ignoring user.json, in both zip layouts', async () => {
    const files = { 'user.json': encode('{"id":"user-1","email":"a@b.c"}'), 'file-abc.png': image, 'conversations.json': t1Bytes };
    for (const zip of [zipSync(files), streamedZip(files)]) {
      const run = await runImport(bytesSource(zip, [999]));
      expect(run.report.status).toBe('complete');
      expect(run.report.provider).toBe('chatgpt');
      expect(run.report.conversations).toBe(t1.conversations);
      expect(run.report.nodes).toBe(t1Nodes);
      expect(run.report.warnings['ignored-entry']).toBe(1);
      expect(run.report.entries.map((e) => [e.name, e.status])).toEqual([
        ['user.json', 'ignored'],
        ['conversations.json', 'imported'],
      ]);
    }
  });

  it('reads every split conversations-NNN.json and counts a conversation present in two files once', async () => {
    const all = [0, 1, 2, 3, 4].map((i) => conversation(9, i, 3).value);
    const zip = zipSync({
      'conversations-000.json': encode(JSON.stringify(all.slice(0, 3))),
      'conversations-001.json': encode(JSON.stringify(all.slice(2))), // conversation 2 is in both files
      'chat.html': encode('<html><script>var jsonData = [];</script></html>'),
    });
    const run = await runImport(bytesSource(zip));
    expect(run.report.status).toBe('complete');
    expect(run.report.conversations).toBe(5);
    expect(run.report.nodes).toBe(run.nodes.length);
    expect(new Set(run.nodes.map((n) => n.id)).size).toBe(run.nodes.length);
    expect(run.report.skipped['duplicate-conversation']).toBe(1);
    // chat.html holds the same data as the JSON: it is not read when JSON is there.
    expect(run.report.entries.map((e) => e.name)).toEqual(['conversations-000.json', 'conversations-001.json']);
  });

  it('falls back to chat.html when the zip has no JSON export', async () => {
    const html = `<html><head><title>ChatGPT Data Export</title></head><body><script>\nvar jsonData = ${t1.json};\nfunction render() { return "]"; }\n</script></body></html>`;
    const run = await runImport(bytesSource(zipSync({ 'file-1.png': image, 'chat.html': encode(html) })));
    expect(run.report.status).toBe('complete');
    expect(run.report.provider).toBe('chatgpt');
    expect(run.report.conversations).toBe(t1.conversations);
    expect(run.report.nodes).toBe(t1Nodes);
    expect(run.report.entries.map((e) => [e.name, e.status])).toEqual([['chat.html', 'imported']]);
  });

  it('refuses a password-protected zip', async () => {
    const zip = zipSync({ 'conversations.json': t1Bytes });
    zip[6] = (zip[6] as number) | 1; // general-purpose flag bit 0 in the local header
    for (const chunks of [[64 * 1024], [7], [20, 1, 100]]) {
      const run = await runImport(bytesSource(zip, chunks));
      expect(run.report.status).toBe('failed');
      expect(run.report.error?.code).toBe('IMPORT_ENCRYPTED_ZIP');
      expect(run.nodes).toEqual([]);
    }
    // The flag on a later entry is found too, wherever the chunks split its header.
    const two = zipSync({ 'conversations.json': t1Bytes, 'more.json': encode('[]') }, { level: 0 });
    const second = two.indexOf(0x50, t1Bytes.length);
    expect([two[second + 1], two[second + 2], two[second + 3]]).toEqual([0x4b, 0x03, 0x04]);
    two[second + 6] = (two[second + 6] as number) | 1;
    for (const chunks of [[second + 3], [second + 20], [64 * 1024]]) {
      expect((await runImport(bytesSource(two, chunks))).report.error?.code).toBe('IMPORT_ENCRYPTED_ZIP');
    }
  });

  it('stops a zip bomb before inflating it', async () => {
    const padding = new Uint8Array(64 * 1024 * 1024).fill(0x20);
    padding[0] = 0x5b;
    padding[padding.length - 1] = 0x5d;
    const zip = zipSync({ 'conversations.json': padding }, { level: 9 });
    expect(zip.length).toBeLessThan(padding.length / 500);
    const run = await runImport(bytesSource(zip));
    expect(run.report.status).toBe('failed');
    expect(run.report.error?.code).toBe('IMPORT_ZIP_BOMB');
    const total = await runImport(bytesSource(zipSync({ 'a.json': t1Bytes, 'b.json': t1Bytes }, { level: 0 })), new MemoryStore(), { limits: { maxZipTotalBytes: t1Bytes.length + 10 } });
    expect(total.report.error?.code).toBe('IMPORT_ZIP_BOMB');
  });

  it('reports a truncated zip as truncated, keeping what was complete but never calling it complete', async () => {
    const zip = zipSync({ 'conversations.json': t1Bytes }, { level: 0 });
    for (const cut of [Math.floor(zip.length * 0.6), zip.length - 30]) {
      const run = await runImport(bytesSource(zip.subarray(0, cut)));
      expect(run.report.status).toBe('failed');
      expect(['IMPORT_TRUNCATED_ZIP', 'IMPORT_TRUNCATED_JSON']).toContain(run.report.error?.code);
    }
  });

  it('says when a zip holds no export: only images, unrelated JSON, garbage, a zip inside the zip', async () => {
    const zip = zipSync({
      'file-1.png': image,
      'user.json': encode('{"id":"user-1"}'),
      'conversations.json': encode('this is not json, just text'),
      'notes.json': new Uint8Array([0, 1, 2, 3, 255, 254]),
      'inner.json': zipSync({ 'conversations.json': t1Bytes }),
      'broken.json': encode('[{"a": [1, 2}]'),
    });
    const run = await runImport(bytesSource(zip));
    expect(run.report.status).toBe('failed');
    expect(run.report.error?.code).toBe('IMPORT_ZIP_NO_EXPORT');
    expect(run.report.error?.message).toMatch(/no chat history/);
  });

  it('reports damaged compressed data as a corrupt zip', async () => {
    const zip = zipSync({ 'conversations.json': t1Bytes });
    const damaged = zip.slice();
    for (let i = 60; i < 90; i += 1) damaged[i] = 0xff;
    const run = await runImport(bytesSource(damaged));
    expect(run.report.status).toBe('failed');
    expect(['IMPORT_CORRUPT_ZIP', 'IMPORT_ZIP_NO_EXPORT', 'IMPORT_TRUNCATED_ZIP']).toContain(run.report.error?.code);
  });
});

describe('hostile and broken JSON', () => {
  const codeOf = async (text: string | Uint8Array) => (await runImport(bytesSource(typeof text === 'string' ? encode(text) : text))).report.error?.code;

  it('names each broken file with a code and a sentence', async () => {
    expect(await codeOf('')).toBe('IMPORT_EMPTY_FILE');
    expect(await codeOf(' \n\t ')).toBe('IMPORT_EMPTY_FILE');
    expect(await codeOf('[]')).toBe('IMPORT_EMPTY_FILE');
    expect(await codeOf('hello, world')).toBe('IMPORT_NOT_AN_EXPORT');
    expect(await codeOf('{"name":"not a chat"}')).toBe('IMPORT_NOT_AN_EXPORT');
    expect(await codeOf('[1, 2, 3]')).toBe('IMPORT_NOT_AN_EXPORT');
    expect(await codeOf(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]))).toBe('IMPORT_NOT_AN_EXPORT');
    expect(await codeOf(new Uint8Array([0xff, 0xfe, 0x5b, 0x00]))).toBe('IMPORT_UNSUPPORTED_ENCODING');
    expect(await codeOf('[{"a":1}}')).toBe('IMPORT_INVALID_JSON');
    expect(await codeOf(`${t1.json} trailing`)).toBe('IMPORT_INVALID_JSON');
    const report = (await runImport(bytesSource(encode('[{"a":1}')))).report;
    expect(report.error?.message).toMatch(/cut off/);
  });

  it('refuses absurd nesting without blowing the stack', async () => {
    expect(await codeOf('['.repeat(200_000))).toBe('IMPORT_TOO_DEEP');
    const inside = `[{"mapping":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}]`;
    expect(await codeOf(inside)).toBe('IMPORT_TOO_DEEP');
  });

  it('delivers the conversations before a cut, but marks the import failed (truncated)', async () => {
    const values = JSON.parse(t1.json) as unknown[];
    const firstTwo = JSON.stringify(values.slice(0, 2));
    const cut = t1Bytes.subarray(0, encode(firstTwo).length + 100);
    const run = await runImport(bytesSource(cut));
    expect(run.report.status).toBe('failed');
    expect(run.report.error?.code).toBe('IMPORT_TRUNCATED_JSON');
    expect(run.report.conversations).toBe(2);
    expect(run.conversations).toHaveLength(2);
  });

  it('skips a record that is too large or not UTF-8, and imports the rest', async () => {
    const values = JSON.parse(t1.json) as unknown[];
    const big = JSON.stringify(values[1]).length;
    const run = await runImport(bytesSource(t1Bytes), new MemoryStore(), { limits: { maxRecordBytes: big - 1 } });
    expect(run.report.status).toBe('complete');
    expect(run.report.skipped['record-too-large']).toBeGreaterThanOrEqual(1);
    expect(run.report.conversations + run.report.skipped['record-too-large']).toBe(t1.conversations);
    expect(run.report.notices.map((n) => n.code)).toEqual(['IMPORT_RECORD_TOO_LARGE']);

    const bad = encode(`[${JSON.stringify(values[0])},{"title":"\u0000X"},${JSON.stringify(values[2])}]`);
    const at = bad.indexOf(0x58); // the X: replace it with a byte that is never valid UTF-8
    bad[at] = 0xff;
    const run2 = await runImport(bytesSource(bad));
    expect(run2.report.status).toBe('complete');
    expect(run2.report.conversations).toBe(2);
    expect(run2.report.skipped['malformed-record']).toBe(1);
  });

  it('turns a failing read into IMPORT_READ_FAILED', async () => {
    const source: ImportSource = {
      name: 'flaky',
      size: null,
      stream: () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(t1Bytes.subarray(0, 5000));
            controller.error(new Error('device removed'));
          },
        }),
    };
    const run = await runImport(source);
    expect(run.report.status).toBe('failed');
    expect(run.report.error?.code).toBe('IMPORT_READ_FAILED');
  });

  it('never throws and never calls a damaged file complete with records silently missing (byte mutations)', async () => {
    const small = generateExport({ seed: 5, conversations: 3 });
    const bytes = encode(small.json);
    const zip = zipSync({ 'conversations.json': bytes });
    for (const original of [bytes, zip]) {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          fc.option(fc.nat({ max: original.length }), { nil: undefined }),
          async (mutations, cut) => {
            const mutated = original.slice(0, cut ?? original.length);
            for (const [at, value] of mutations) if (at < mutated.length) mutated[at] = value;
            const importer = importExport(bytesSource(mutated, [4096]), { digest: nodeDigest, now: () => 0 });
            let delivered = 0;
            let step = await importer.next();
            while (step.done !== true) {
              delivered += step.value.items.length;
              step = await importer.next();
            }
            const report = step.value;
            if (report.status === 'complete') {
              expect(report.error).toBeUndefined();
              expect(delivered + sumSkipped(report)).toBeGreaterThanOrEqual(small.conversations);
            } else {
              expect(report.status).toBe('failed');
              expect(report.error?.code).toMatch(/^IMPORT_/);
              expect(report.error?.message.length).toBeGreaterThan(20);
            }
          },
        ),
        { numRuns: 150 },
      );
    }
  });
});

// Issue 9, items 9-12: each attack, replayed at the size it was found at. The old code took minutes or gigabytes
// on these (the test timeout catches the time; the heap-capped worker the memory).
describe('attacks found against the importer (issue 9)', () => {
  it("ReDoS: an answer of <a href=''> repeated 4,000 and 40,000 times, in MyActivity.json and MyActivity.html", async () => {
    for (const repeats of [4_000, 40_000]) {
      const files: [Uint8Array, string][] = [
        [geminiActivityJson(redosHtml(repeats)), 'MyActivity.json'],
        [geminiActivityHtml(redosHtml(repeats)), 'MyActivity.html'],
      ];
      for (const [bytes, name] of files) {
        const run = await runImport(bytesSource(bytes, [64 * 1024], name));
        expect(run.report.status).toBe('complete');
        expect(run.report.provider).toBe('gemini');
        // Tags without text leave no answer: the prompt is kept on its own.
        expect(run.nodes.map((node) => [node.human.text, node.assistant])).toEqual([['hi', null]]);
      }
    }
  });

  it('comb trees of 20k messages (Claude, ChatGPT) import every branch once within a 128 MB heap', async () => {
    for (const comb of [claudeComb(20_000), chatgptComb(20_000)]) {
      const outcome = await importWithHeapLimit(comb.bytes, 'conversations.json', 128);
      expect(outcome).toEqual({ status: 'complete', code: null, active: comb.activeNodes, inactive: comb.inactiveNodes });
    }
  });

  it('a zip bomb whose local header claims 0x7fffffff compressed bytes stops early, judged on the bytes really read', async () => {
    const zip = lyingZipBomb(64 * 1024 * 1024);
    const run = await runImport(bytesSource(zip, [1024]));
    expect(run.report.status).toBe('failed');
    expect(run.report.error?.code).toBe('IMPORT_ZIP_BOMB');
    // Stopped after inflating about 16 MB: most of the (64 KB) archive was never read.
    expect(run.report.bytes).toBeLessThan(zip.length / 2);
  });

  it('Copilot CSV: a quote never closed fails with its line instead of swallowing the rest as "complete"', async () => {
    const run = await runImport(bytesSource(copilotUnclosedQuote(50), [64 * 1024], 'copilot.csv'));
    expect(run.report.status).toBe('failed');
    expect(run.report.error?.code).toBe('IMPORT_CSV_UNCLOSED_QUOTE');
    expect(run.report.error?.detail).toMatch(/line 2\b/);
    expect(run.report.error?.message).toMatch(/never ends/);
  });

  it('Copilot CSV: a 40 MB field fails clearly (IMPORT_CSV_FIELD_TOO_LARGE) within a 256 MB heap, quoted or not', async () => {
    for (const quoted of [false, true]) {
      const outcome = await importWithHeapLimit(copilotHugeField(40 * 1024 * 1024, quoted), 'copilot.csv', 256);
      expect(outcome).toEqual({ status: 'failed', code: 'IMPORT_CSV_FIELD_TOO_LARGE', active: 0, inactive: 0 });
    }
    const run = await runImport(bytesSource(copilotHugeField(5 * 1024 * 1024, true), [64 * 1024], 'copilot.csv'));
    expect(run.report.error?.detail).toMatch(/line 3\b/);
  });
});
