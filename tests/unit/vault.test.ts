// Vault services the UI calls (web/src/vault/*) on fake-indexeddb: list, read, timeline, export, storage, live
// queries. Data goes in through the real import write path.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { strFromU8, unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImportBatch } from '../../shared/import';
import type { MemoryNode, Provider } from '../../shared/model';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
import { commitImportBatch, createImportRow } from '../../web/src/db/import-writes';
import { conversationTimeline, getConversation, listConversations, storedNodeCount, vaultCounts } from '../../web/src/vault/conversations';
import { deleteConversations, deleteNodes, fromNodeRow, putNodes } from '../../web/src/db/vault-writes';
import { vaultBackupHeaderSchema } from '../../shared/import/providers/vault-backup';
import { exportFileName, exportVaultJson, exportVaultMarkdown } from '../../web/src/vault/export';
import { subscribeLive } from '../../web/src/vault/live';
import { PERSIST_UNSUPPORTED, requestPersistentStorage, storageStatus } from '../../web/src/vault/storage';

const opened: VaultDatabase[] = [];
let counter = 0;

afterEach(async () => {
  for (const db of opened.splice(0)) {
    db.close();
    await Dexie.delete(db.name);
  }
});

interface Spec {
  id: string;
  provider: Provider;
  title: string;
  at: number | null;
  /** Active thread texts; a string starting with '~' is an abandoned branch at the previous ordinal. */
  turns: string[];
}

let nodeCounter = 0;

function batch(specs: Spec[]): ImportBatch {
  const items = specs.map((spec) => {
    let ordinal = 0;
    const nodes: MemoryNode[] = spec.turns.map((text) => {
      const branch = text.startsWith('~');
      return {
        schemaVersion: 1,
        id: (++nodeCounter).toString(16).padStart(64, 'a'),
        kind: 'exchange',
        provider: spec.provider,
        conversationId: spec.id,
        ordinal: branch ? ordinal - 1 : ordinal++,
        active: !branch,
        branchId: branch ? `leaf-${nodeCounter}` : null,
        human: { text: `Question: ${text.replace('~', '')}`, messageIds: [], createdAt: spec.at, model: null },
        assistant: { text: `Answer about ${text.replace('~', '')} with a \`\`\`fence\`\`\` inside`, messageIds: [], createdAt: spec.at, model: 'gpt-4o' },
        extras: { thinking: [], toolCalls: [{ name: 'python', input: 'print(1)', output: '1' }], system: [], customInstructions: [], citations: [] },
        attachments: [],
        createdAt: spec.at,
      };
    });
    return {
      conversation: {
        schemaVersion: 1 as const,
        id: spec.id,
        provider: spec.provider,
        providerConversationId: spec.id.split(':')[1] ?? spec.id,
        kind: 'chat' as const,
        title: spec.title,
        createdAt: spec.at,
        updatedAt: spec.at,
        model: null,
        messageCount: nodes.length * 2,
        nodeCount: nodes.filter((n) => n.active).length,
        raw: JSON.stringify({ original: spec.id }),
      },
      nodes,
      duplicates: 0,
    };
  });
  return { items, progress: { bytesRead: 1, totalBytes: 1, records: items.length, conversations: items.length, nodes: 0, duplicates: 0 }, checkpoint: { records: items.length } };
}

const JAN = Date.UTC(2024, 0, 15);
const MAR = Date.UTC(2024, 2, 3);
const APR = Date.UTC(2024, 3, 30);

const specs: Spec[] = [
  { id: 'chatgpt:a', provider: 'chatgpt', title: 'banana bread', at: MAR, turns: ['flour', 'oven', '~oven again'] },
  { id: 'claude:b', provider: 'claude', title: 'Apple pie', at: JAN, turns: ['crust'] },
  { id: 'chatgpt:c', provider: 'chatgpt', title: 'cherry jam', at: APR, turns: ['sugar', 'jars'] },
  { id: 'gemini:d', provider: 'gemini', title: 'Date squares', at: null, turns: ['dates'] },
  { id: 'claude:e', provider: 'claude', title: 'Apple pie', at: JAN + 1000, turns: ['filling'] },
];

async function vaultWith(list: Spec[] = specs): Promise<VaultDatabase> {
  const db = await openVaultDatabase({ name: `vault-test-${process.pid}-${counter++}` });
  opened.push(db);
  const importId = await createImportRow(db, { fileName: 'x.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
  await commitImportBatch(db, importId, batch(list), { parseMs: 0, now: 2 });
  return db;
}

describe('conversation list', () => {
  it('sorts by date (undated last when newest first) and by title', async () => {
    const db = await vaultWith();
    expect((await listConversations(db)).items.map((c) => c.id)).toEqual(['chatgpt:c', 'chatgpt:a', 'claude:e', 'claude:b', 'gemini:d']);
    expect((await listConversations(db, { sort: 'oldest' })).items.map((c) => c.id)).toEqual(['gemini:d', 'claude:b', 'claude:e', 'chatgpt:a', 'chatgpt:c']);
    expect((await listConversations(db, { sort: 'title' })).items.map((c) => c.title)).toEqual(['Apple pie', 'Apple pie', 'banana bread', 'cherry jam', 'Date squares']);
  });

  it('filters by provider and date range, and pages with a total', async () => {
    const db = await vaultWith();
    expect((await listConversations(db, { providers: ['claude'] })).items.map((c) => c.id)).toEqual(['claude:e', 'claude:b']);
    const spring = await listConversations(db, { from: Date.UTC(2024, 1, 1), to: Date.UTC(2024, 4, 1) });
    expect(spring.items.map((c) => c.id)).toEqual(['chatgpt:c', 'chatgpt:a']);
    const page = await listConversations(db, { offset: 1, limit: 2 });
    expect(page.items.map((c) => c.id)).toEqual(['chatgpt:a', 'claude:e']);
    expect(page.total).toBe(5);
    expect(await vaultCounts(db)).toEqual({ conversations: 5, nodes: 8, imports: 1 });
  });
});

describe('reading a conversation', () => {
  it('gives the active thread in order and the abandoned answers as a branch', async () => {
    const db = await vaultWith();
    const view = await getConversation(db, 'chatgpt:a');
    expect(view?.conversation.title).toBe('banana bread');
    expect(view?.thread.map((n) => n.human.text)).toEqual(['Question: flour', 'Question: oven']);
    expect(view?.branches.map((b) => [b.forkOrdinal, b.nodes.map((n) => n.human.text)])).toEqual([[1, ['Question: oven again']]]);
    expect(await getConversation(db, 'nope:1')).toBeNull();
  });
});

describe('timeline', () => {
  it('counts conversations per month, empty months included, undated apart', async () => {
    const db = await vaultWith();
    const timeline = await conversationTimeline(db);
    expect(timeline.months.map((m) => [m.month, m.count])).toEqual([
      ['2024-01', 2],
      ['2024-02', 0],
      ['2024-03', 1],
      ['2024-04', 1],
    ]);
    expect(timeline.months[0]?.byProvider).toEqual({ claude: 2 });
    expect(timeline.undated).toBe(1);
    expect((await conversationTimeline(db, { providers: ['chatgpt'] })).months.map((m) => m.month)).toEqual(['2024-03', '2024-04']);
  });
});

describe('export', () => {
  it('JSON: a versioned document with every conversation, its raw record and all its nodes', async () => {
    const db = await vaultWith();
    const blob = await exportVaultJson(db, Date.UTC(2025, 5, 1));
    const document = JSON.parse(await blob.text()) as { conversations: { id: string; raw: string; nodes: Record<string, unknown>[] }[] };
    expect(vaultBackupHeaderSchema.parse(document)).toEqual({ format: 'cogzy-vault-export', version: 2, exportedAt: '2025-06-01T00:00:00.000Z' });
    expect(document.conversations.map((c) => c.id).sort()).toEqual(specs.map((s) => s.id).sort());
    const a = document.conversations.find((c) => c.id === 'chatgpt:a');
    expect(a?.raw).toBe('{"original":"chatgpt:a"}');
    expect(a?.nodes).toHaveLength(3);
    // Device-local fields stay home.
    expect(Object.keys(a?.nodes[0] ?? {})).not.toContain('docId');
    expect(exportFileName('json', Date.UTC(2025, 5, 1))).toBe('cogzy-vault-2025-06-01.json');
  });

  it('Markdown: one file per conversation in a zip, readable, with unique names', async () => {
    const db = await vaultWith();
    const zip = unzipSync(new Uint8Array(await (await exportVaultMarkdown(db)).arrayBuffer()));
    const names = Object.keys(zip).sort();
    expect(names).toEqual([
      'README.md',
      'chatgpt/2024-03-03 banana bread.md',
      'chatgpt/2024-04-30 cherry jam.md',
      'claude/2024-01-15 Apple pie (e).md',
      'claude/2024-01-15 Apple pie.md',
      'gemini/undated Date squares.md',
    ]);
    const bread = strFromU8(zip['chatgpt/2024-03-03 banana bread.md']!);
    expect(bread).toContain('# banana bread');
    expect(bread).toContain('### You');
    expect(bread).toContain('Question: flour');
    expect(bread).toContain('## Alternate branch from exchange 2');
    // A fence longer than the backticks inside the text keeps the tool output from breaking out.
    expect(bread).toContain('<summary>Tool: python</summary>');
  });

  it('Markdown: a title ending in a dot does not give "..md"', async () => {
    const db = await vaultWith([{ id: 'chatgpt:q', provider: 'chatgpt', title: 'Why is the sky blue?. ', at: MAR, turns: ['sky'] }]);
    const names = Object.keys(unzipSync(new Uint8Array(await (await exportVaultMarkdown(db)).arrayBuffer())));
    expect(names).toContain('chatgpt/2024-03-03 Why is the sky blue.md');
    expect(names.some((n) => n.endsWith('..md'))).toBe(false);
  });
});

describe('storage', () => {
  it('says honestly when the platform cannot promise to keep the vault', async () => {
    if (typeof navigator !== 'undefined' && 'storage' in navigator) return;
    expect(await storageStatus()).toEqual({ supported: false, usage: null, quota: null, persisted: null });
    expect(await requestPersistentStorage()).toEqual({ persisted: false, explanation: PERSIST_UNSUPPORTED });
  });
});

describe('live queries', () => {
  it('pushes a new value when an import writes', async () => {
    const db = await vaultWith(specs.slice(0, 1));
    const seen: number[] = [];
    let notify: () => void = () => undefined;
    const unsubscribe = subscribeLive(
      () => vaultCounts(db).then((c) => c.conversations),
      (value) => {
        seen.push(value);
        notify();
      },
    );
    const waitFor = (value: number) =>
      new Promise<void>((resolve) => {
        notify = () => {
          if (seen.at(-1) === value) resolve();
        };
        notify();
      });
    await waitFor(1);
    const importId = await createImportRow(db, { fileName: 'y.json', status: 'processing', bytes: 1, fileKey: 'k2', now: 3 });
    await commitImportBatch(db, importId, batch(specs.slice(1, 3)), { parseMs: 0, now: 4 });
    await waitFor(3);
    unsubscribe();
    expect(seen.at(0)).toBe(1);
    expect(seen.at(-1)).toBe(3);
  });
});

describe('vault counts', () => {
  it('the vault counts its nodes from the index in one read, and the figure follows imports, edits and deletes', async () => {
    const db = await vaultWith();
    const agree = async (): Promise<number> => {
      const stored = await db.nodes.count();
      expect(await storedNodeCount(db)).toBe(stored);
      expect((await vaultCounts(db)).nodes).toBe(stored);
      return stored;
    };
    const all = await agree();
    const nodes = (await db.nodes.all()).map(fromNodeRow);
    const first = nodes[0];
    if (!first) throw new Error('no node imported');
    // A node replaced with new text is indexed again under a new docId: still one entry per node.
    await putNodes(db, [{ ...first, human: { ...first.human, text: `${first.human.text} (edited)` } }]);
    expect(await agree()).toBe(all);
    await deleteNodes(db, nodes.slice(1, 4).map((n) => n.id));
    expect(await agree()).toBe(all - 3);
    await deleteConversations(db, [first.conversationId]);
    expect(await agree()).toBeLessThan(all - 3);
  });
});
