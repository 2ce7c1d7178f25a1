import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonRecordScanner, type ScannedRecord } from '../../shared/import/core/json-scanner';
import { assignNodeIds, identityBytes, importExport, importReportSchema, normaliseText, type ImportReport } from '../../shared/import';

const toHexString = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
import type { NodeDraft } from '../../shared/import/provider';
import { emptyExtras } from '../../shared/model';
import { conversation, generateExport } from '../support/generate-chatgpt';
import { MemoryStore, bytesSource, nodeDigest, runImport, type ImportRun } from '../support/import-helpers';

const encode = (text: string) => new TextEncoder().encode(text);

/** Everything a user could notice about an import, without the timing. */
function outcome(run: ImportRun): string {
  const { ms: _ms, ...report } = run.report;
  return JSON.stringify({ report, conversations: run.conversations, nodes: run.nodes });
}

function scan(text: string, chunk = 1_000_000): ScannedRecord[] {
  const records: ScannedRecord[] = [];
  const scanner = new JsonRecordScanner({ maxDepth: 64, maxRecordBytes: 1_000_000 }, (record) => records.push(record));
  const bytes = encode(text);
  for (let at = 0; at < bytes.length; at += chunk) scanner.push(bytes.subarray(at, at + chunk));
  scanner.end();
  return records;
}

describe('JSON record scanner', () => {
  it('finds root array elements, top-level array elements and plain property values, whatever the strings hold', () => {
    const doc = '\uFEFF {"conversations":[{"a":"x,]}\\"["},{"b":[1,{"c":2}]}], "meta":{"k":[1,2]},"n":5,"empty":[],"s":"é😀"}';
    for (const chunk of [1, 2, 3, 1000]) {
      const records = scan(doc, chunk).map((r) => ({ path: r.path, index: r.index, inArray: r.inArray, json: JSON.parse(new TextDecoder().decode(r.bytes ?? new Uint8Array())) as unknown }));
      expect(records).toEqual([
        { path: 'conversations', index: 0, inArray: true, json: { a: 'x,]}"[' } },
        { path: 'conversations', index: 1, inArray: true, json: { b: [1, { c: 2 }] } },
        { path: 'meta', index: 0, inArray: false, json: { k: [1, 2] } },
        { path: 'n', index: 0, inArray: false, json: 5 },
        { path: 's', index: 0, inArray: false, json: 'é😀' },
      ]);
    }
    expect(scan('[ 1 , "two" , [3] ]').map((r) => new TextDecoder().decode(r.bytes ?? new Uint8Array()).trim())).toEqual(['1', '"two"', '[3]']);
  });

  it('ends strings at the right quote after any run of backslashes, however the chunks split the run', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('\\', '"', 'a', ']', '}', ',', 'é') }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 7 }),
        (texts, chunk) => {
          const doc = JSON.stringify(texts.map((text) => ({ text })));
          const records = scan(doc, chunk).map((r) => JSON.parse(new TextDecoder().decode(r.bytes ?? new Uint8Array())) as unknown);
          expect(records).toEqual(texts.map((text) => ({ text })));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hands out a record that spans adjacent slices of one chunk as a view of that chunk, and copies only across chunks', () => {
    const doc = encode('[{"a":"first record, long enough to span slices"},{"b":"second"}]');
    const records: ScannedRecord[] = [];
    const scanner = new JsonRecordScanner({ maxDepth: 64, maxRecordBytes: 1_000_000 }, (record) => records.push(record));
    // Slices of one chunk, as the importer pushes them: the first record spans three of them.
    for (const [from, to] of [[0, 10], [10, 20], [20, 49], [49, doc.length]] as const) scanner.push(doc.subarray(from, to));
    // The next document arrives as separate chunks (copies): its record spans two of them.
    const other = encode('{"c":[1,2,3]}');
    const second: ScannedRecord[] = [];
    const across = new JsonRecordScanner({ maxDepth: 64, maxRecordBytes: 1_000_000 }, (record) => second.push(record));
    across.push(encode('['));
    across.push(other.slice(0, 6));
    across.push(other.slice(6));
    across.push(encode(']'));
    scanner.end();
    across.end();
    const text = (r: ScannedRecord) => new TextDecoder().decode(r.bytes ?? new Uint8Array());
    expect(records.map(text)).toEqual(['{"a":"first record, long enough to span slices"}', '{"b":"second"}']);
    expect(records[0]?.bytes?.buffer).toBe(doc.buffer);
    expect(second.map(text)).toEqual(['{"c":[1,2,3]}']);
  });

  it('reports a record over the size limit without holding it, and carries on', () => {
    const records: ScannedRecord[] = [];
    const scanner = new JsonRecordScanner({ maxDepth: 64, maxRecordBytes: 10 }, (record) => records.push(record));
    scanner.push(encode('[{"big":"0123456789abcdef"},{"ok":1}]'));
    scanner.end();
    expect(records.map((r) => [r.bytes === null, r.size])).toEqual([
      [true, 26],
      [false, 8],
    ]);
  });
});

describe('import identity', () => {
  const draft = (human: string, assistant: string | null): NodeDraft => ({
    kind: 'exchange',
    provider: 'chatgpt',
    conversationId: 'chatgpt:c',
    ordinal: 0,
    active: true,
    branchId: null,
    human: { text: human, messageIds: [], createdAt: null, model: null },
    assistant: assistant === null ? null : { text: assistant, messageIds: [], createdAt: null, model: null },
    extras: emptyExtras(),
    attachments: [],
    createdAt: null,
  });

  it('keeps identity version 1 frozen: these ids were checked against an independent SHA-256 of the encoding', async () => {
    // Encoding: each of 'cogzy-node/1', provider, conversation id, kind, human, assistant as a u32 BE byte length +
    // UTF-8 (null: 0xFFFFFFFF), then the occurrence as u32 BE. Changing it would duplicate every vault on re-import.
    const ids = await assignNodeIds('chatgpt', 'chatgpt:c', [draft('Grüß dich 👋', 'こんにちは'), draft('continue', null), draft('continue', null)], nodeDigest);
    expect(ids.map((n) => n.id)).toEqual([
      '052621e926a3e699ef1787dd673ec622ba66922f4de7d388b09c194295f6b445',
      'ba1fd4bd49fb742d0351d71ed0a48a43a86e331857ff1a2a4bc516f097bbe1a6',
      'fc855a1311a9ce7802fd47f18064f0074da0e02d72d667d3b3563a14313143b8',
    ]);
  });

  it('gives each node the SHA-256 of its own encoding, whatever was encoded before or beside it (the shared scratch)', async () => {
    const small = [draft('Grüß dich 👋', 'こんにちは'), draft('continue', null), draft('continue', null)];
    // Over 4 MB of encoding: the scratch grows for it and is let go afterwards.
    const huge = Array.from({ length: 12 }, (_, i) => draft(`${i} ${'東京 '.repeat(60_000)}`, `${'é'.repeat(100_000)} ${i}`));
    const alone = (await assignNodeIds('chatgpt', 'chatgpt:c', small, nodeDigest)).map((n) => n.id);
    // A digest that reads its bytes only later (allowed: the contract is a Promise), while the next conversation is encoded.
    const later = async (bytes: Uint8Array): Promise<Uint8Array> => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      return nodeDigest(bytes);
    };
    const [beside, big] = await Promise.all([assignNodeIds('chatgpt', 'chatgpt:c', small, later), assignNodeIds('chatgpt', 'chatgpt:h', huge, later)]);
    const after = (await assignNodeIds('chatgpt', 'chatgpt:c', small, nodeDigest)).map((n) => n.id);
    expect(beside.map((n) => n.id)).toEqual(alone);
    expect(after).toEqual(alone);
    const expected = await Promise.all(
      huge.map(async (d) => toHexString(await nodeDigest(identityBytes('chatgpt', 'chatgpt:h', 'exchange', d.human.text, d.assistant?.text ?? null, 0)))),
    );
    expect(big.map((n) => n.id)).toEqual(expected);
    // identityBytes is the canonical encoding itself, checked field by field for one node.
    const bytes = identityBytes('chatgpt', 'chatgpt:c', 'exchange', ' a\r\n', null, 2);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const fields: (string | null)[] = [];
    let at = 0;
    for (let i = 0; i < 6; i += 1) {
      const length = view.getUint32(at);
      at += 4;
      fields.push(length === 0xffffffff ? null : new TextDecoder().decode(bytes.subarray(at, at + length)));
      if (length !== 0xffffffff) at += length;
    }
    expect(fields).toEqual(['cogzy-node/1', 'chatgpt', 'chatgpt:c', 'exchange', 'a', null]);
    expect(view.getUint32(at)).toBe(2);
    expect(at + 4).toBe(bytes.length);
  });

  it('normalises text so invisible differences do not make new nodes', () => {
    expect(normaliseText('  cafe\u0301  \r\nline two   \r\n')).toBe('café\nline two');
  });

  it('normalises exactly as NFC does, also when it skips normalize() for text below U+0300', () => {
    const units = ['a', 'e', 'A', '\n', '\u00e9', '\u00ff', '\u017f', '\u02ff', '\u0300', '\u0301', '\u0327', '\u1100', '\u1161', '\uac00', '\u212b', '\ud83d\ude00', '\u0344'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...units), { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        expect(normaliseText(text)).toBe(text.normalize('NFC').trim());
      }),
      { numRuns: 500 },
    );
  });

  it('drops spaces before line ends exactly when the text holds a space or tab before a line feed, wherever it is', () => {
    // The rule as first written (two includes and a regular expression), against which the one-pass version is held.
    const reference = (text: string): string => {
      let out = text.normalize('NFC');
      if (out.includes('\r')) out = out.replace(/\r\n?/g, '\n');
      if (out.includes(' \n') || out.includes('\t\n')) out = out.replace(/[ \t]+$/gm, '');
      return out.trim();
    };
    const units = [' ', '\t', '\n', '\r', 'a', '\u00e9', '\u6771', '\u2028', '\ud83d\ude00'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...units), { maxLength: 16 }), (parts) => {
        const text = parts.join('');
        expect(normaliseText(text)).toBe(reference(text));
      }),
      { numRuns: 2000 },
    );
    expect(normaliseText('\nx \ny')).toBe('x\ny');
  });

  it('gives repeated identical exchanges distinct ids, and keeps earlier ids when turns are appended', async () => {
    const a = await assignNodeIds('chatgpt', 'chatgpt:c', [draft('continue', 'more'), draft('continue', 'more')], nodeDigest);
    expect(a[0]?.id).not.toBe(a[1]?.id);
    const b = await assignNodeIds('chatgpt', 'chatgpt:c', [draft('continue', 'more'), draft('continue ', 'more\r\n'), draft('new', null)], nodeDigest);
    expect(b.slice(0, 2).map((n) => n.id)).toEqual(a.map((n) => n.id));
    const other = await assignNodeIds('chatgpt', 'chatgpt:other', [draft('continue', 'more')], nodeDigest);
    expect(other[0]?.id).not.toBe(a[0]?.id);
    expect(a[0]?.id).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('importExport', () => {
  const small = generateExport({ seed: 7, conversations: 6 });
  const smallBytes = encode(small.json);

  it('imports a generated export with the counts the generator made', async () => {
    const run = await runImport(bytesSource(smallBytes));
    expect(run.report.status).toBe('complete');
    expect(run.report.conversations).toBe(small.conversations);
    expect(run.nodes.filter((n) => n.active)).toHaveLength(small.activeNodes);
    expect(run.nodes.filter((n) => !n.active)).toHaveLength(small.inactiveNodes);
    expect(run.report.nodes).toBe(small.activeNodes + small.inactiveNodes);
    expect(importReportSchema.parse(run.report)).toEqual(run.report);
    // Non-ASCII text survives intact.
    expect(run.nodes.some((n) => /[東中한مש🚀]/u.test(n.human.text + (n.assistant?.text ?? '')))).toBe(true);
  });

  it('ends strings only at an unescaped quote, with runs of backslashes split across chunks anywhere', () => {
    // JSON text: [{"a":"ends with a backslash\\"},{"b":"\\\"quoted\\\"","c":"x\\\\"},"\\"]
    const doc = '[{"a":"ends with a backslash\\\\"},{"b":"\\\\\\"quoted\\\\\\"","c":"x\\\\\\\\"},"\\\\"]';
    const expected = JSON.parse(doc) as unknown[];
    for (const chunk of [1, 2, 3, 5, 7, 1000]) {
      const records = scan(doc, chunk).map((r) => JSON.parse(new TextDecoder().decode(r.bytes ?? new Uint8Array())) as unknown);
      expect(records).toEqual(expected);
    }
  });

  it('gives byte-identical results however the input is split into chunks (including 1-byte chunks)', async () => {
    const whole = outcome(await runImport(bytesSource(smallBytes, [smallBytes.length])));
    const tiny = generateExport({ seed: 3, conversations: 2 });
    const tinyBytes = encode(tiny.json);
    expect(outcome(await runImport(bytesSource(tinyBytes, [1])))).toBe(outcome(await runImport(bytesSource(tinyBytes, [tinyBytes.length]))));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }), async (sizes) => {
        expect(outcome(await runImport(bytesSource(smallBytes, sizes)))).toBe(whole);
      }),
      { numRuns: 25 },
    );
  });

  it('imports the same file twice: the second time nothing is new', async () => {
    const store = new MemoryStore();
    const first = await runImport(bytesSource(smallBytes), store);
    const second = await runImport(bytesSource(smallBytes), store);
    expect(first.report.nodes).toBe(small.activeNodes + small.inactiveNodes);
    expect(second.report.status).toBe('complete');
    expect(second.report.nodes).toBe(0);
    expect(second.nodes).toEqual([]);
    expect(second.report.duplicates).toBe(first.report.nodes);
    expect(store.nodes.size).toBe(first.report.nodes);
  });

  it('imports a later cumulative export: exactly the new turns and conversations are new', async () => {
    const t1 = generateExport({ seed: 11, conversations: 5 });
    const t2 = generateExport({ seed: 11, conversations: 5, grow: 3, extraConversations: 2 });
    const store = new MemoryStore();
    const first = await runImport(bytesSource(encode(t1.json)), store);
    const before = new Set(store.nodes.keys());
    const second = await runImport(bytesSource(encode(t2.json)), store);
    const expectedNew = t2.activeNodes + t2.inactiveNodes - (t1.activeNodes + t1.inactiveNodes);
    expect(second.report.nodes).toBe(expectedNew);
    expect(second.report.duplicates).toBe(first.report.nodes);
    expect(second.nodes.every((n) => !before.has(n.id))).toBe(true);
    // Appended turns: ordinals continue after the T1 ones, for the 5 grown conversations.
    const grown = second.nodes.filter((n) => n.active && !n.conversationId.endsWith('5') && !n.conversationId.endsWith('6'));
    expect(grown).toHaveLength(15);
    expect(second.report.conversations).toBe(7);
  });

  it('resumes after the last committed batch without losing or repeating a conversation', async () => {
    const full = await runImport(bytesSource(smallBytes), new MemoryStore(), { batchSize: 2 });
    const store = new MemoryStore();
    const importer = importExport(bytesSource(smallBytes), { digest: nodeDigest, now: () => 0, isKnown: store.isKnown, batchSize: 2 });
    const delivered: string[] = [];
    let checkpoint = 0;
    for (let i = 0; i < 2; i += 1) {
      const step = await importer.next();
      if (step.done === true) throw new Error('ended early');
      delivered.push(...step.value.items.map((item) => item.conversation.id));
      for (const item of step.value.items) for (const node of item.nodes) store.nodes.set(node.id, node);
      checkpoint = step.value.checkpoint.records;
    }
    await importer.return(undefined as unknown as ImportReport); // the tab closed
    const resumed = await runImport(bytesSource(smallBytes), store, { batchSize: 2, skipRecords: checkpoint });
    expect(resumed.report.status).toBe('complete');
    expect(resumed.report.duplicates).toBe(0);
    expect([...delivered, ...resumed.conversations.map((c) => c.id)]).toEqual(full.conversations.map((c) => c.id));
    expect(store.nodes.size).toBe(full.report.nodes);
  });

  it('stops on cancel with IMPORT_CANCELLED and delivers nothing after the last batch', async () => {
    const controller = new AbortController();
    const importer = importExport(bytesSource(smallBytes, [4096]), { digest: nodeDigest, now: () => 0, signal: controller.signal, batchSize: 1 });
    const first = await importer.next();
    expect(first.done).toBe(false);
    controller.abort();
    const last = await importer.next();
    expect(last.done).toBe(true);
    const report = last.value as ImportReport;
    expect(report.status).toBe('cancelled');
    expect(report.error?.code).toBe('IMPORT_CANCELLED');
  });

  it('ends a batch once its raw records pass batchChars, never inside a conversation', async () => {
    // Batches are cut after each chunk (or 64 KB slice of one) read: small chunks complete one conversation at a time.
    const each = await runImport(bytesSource(smallBytes, [256]), new MemoryStore(), { batchChars: 1, batchSize: 1000 });
    const whole = await runImport(bytesSource(smallBytes), new MemoryStore(), { batchChars: 1e9, batchSize: 1000 });
    expect(each.checkpoints).toHaveLength(small.conversations);
    expect(whole.checkpoints).toHaveLength(1);
    expect(each.nodes.map((n) => n.id)).toEqual(whole.nodes.map((n) => n.id));
    const half = small.json.length / 2;
    const two = await runImport(bytesSource(smallBytes, [256]), new MemoryStore(), { batchChars: half, batchSize: 1000 });
    expect(two.checkpoints.length).toBeGreaterThanOrEqual(2);
    expect(two.checkpoints.length).toBeLessThan(small.conversations);
  });

  it('takes what each 64 KB slice of a large chunk completes before parsing on (what is in flight stays small)', async () => {
    const many = generateExport({ seed: 9, conversations: 40 });
    const bytes = encode(many.json);
    expect(bytes.length).toBeGreaterThan(16 * 64 * 1024);
    // The whole document in one chunk (a node stream may read megabytes at once): parsed whole, every conversation
    // in it was alive at the same time, long enough to be promoted out of V8's young generation.
    const importer = importExport(bytesSource(bytes, [bytes.length]), { digest: nodeDigest, now: () => 0, batchChars: 1 });
    const first = await importer.next();
    if (first.done === true) throw new Error('no batch');
    expect(first.value.items).toHaveLength(1);
    expect(first.value.progress.records).toBeLessThanOrEqual(2);
    await importer.return(undefined as unknown as ImportReport);
  });

  it('delivers every conversation whole: a batch never splits one', async () => {
    const huge = conversation(5, 0, 40).value;
    const bytes = encode(JSON.stringify([huge, conversation(5, 1, 3).value]));
    const run = await runImport(bytesSource(bytes, [7]), new MemoryStore(), { batchSize: 1 });
    expect(run.conversations.map((c) => c.nodeCount)).toEqual([40, 3]);
    expect(run.checkpoints).toEqual([1, 2]);
  });
});
