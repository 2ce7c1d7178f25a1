// Search by meaning on the command line (SPEC C45-C47), against the OpenAI-compatible stand-in server (the real
// RemoteEmbedder client; only the third party is stood in for): `cogzy config` keeps the service and its key 0600,
// `cogzy import` embeds what it imported, `cogzy search --mode semantic|hybrid` and `search_memory` rank by the
// stored vectors and embed only the query; without a service, with another model or with a refused key the answer
// is by keywords and one sentence says why. The key is in no other file and in no output. Vector records keep their
// bytes in the SQLite `vectors` table and leave with their node.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHome, writeAccount } from '../../shared/cli/home';
import { openSqliteVault } from '../../shared/cli/sqlite-store';
import { deleteItem, importItems } from '../../shared/sync/vault-ops';
import { cogzyBin, conversationFixture, repoRoot, runCogzy, tempHome, type CliRun, type TempHome } from '../support/cli-home';
import { oneExchangeConversation } from '../support/generate-chatgpt';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server';

const API_KEY = 'sk-test-cogzy-7f3a9c1e5b2d4068';
const at = Date.UTC(2025, 2, 1) / 1000;
const exchanges = [
  ['a1', 'Tides', 'why is the tide range largest at full moon', 'the sun and the moon line up, so their pulls add: spring tides'],
  ['a2', 'Bread', 'my sourdough starter smells of acetone', 'feed it more often, it is hungry; acetone means it ran out of flour'],
  ['a3', 'Taxes', 'can I deduct my home office', 'if the room is used only for work you can deduct a share of rent'],
] as const;
const exportJson = JSON.stringify(exchanges.map(([n, title, q, a], i) => oneExchangeConversation(`00000000-0000-4000-8000-0000000000${n}`, title, q, a, at + i * 3600)));

let ai: OpenAiServer;
let withService: TempHome;
let without: TempHome;
const outputs: string[] = [];

async function cogzy(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliRun> {
  const run = await runCogzy(args, env, stdin);
  outputs.push(run.stdout, run.stderr);
  return run;
}

function signedInOffline(home: TempHome, deviceId: string): void {
  writeAccount(cliHome(home.env), { version: 1, server: 'http://127.0.0.1:9', email: 'offline@example.com', token: 'offline-session', deviceId });
}

beforeAll(async () => {
  ai = await startOpenAiServer({ apiKey: API_KEY, defaultDimensions: 128 });
  withService = tempHome('cogzy-vec-a-');
  without = tempHome('cogzy-vec-b-');
  signedInOffline(withService, 'cli-vec-a');
  signedInOffline(without, 'cli-vec-b');
});

afterAll(async () => {
  await ai?.close();
  withService?.remove();
  without?.remove();
});

describe('cogzy search by meaning', () => {
  it('keeps the service in a 0600 settings file, embeds what it imports, and ranks semantic and hybrid searches by the vectors', async () => {
    const config = await cogzy(['config', '--embed-url', ai.url, '--embed-model', 'stand-in-embed', '--embed-key', '--stdin', '--json'], withService.env, `${API_KEY}\n`);
    expect(config.json, config.stderr).toMatchObject({ ok: true, embed: { model: 'stand-in-embed', apiKey: 'set (config)' } });
    expect(statSync(cliHome(withService.env).configFile).mode & 0o777).toBe(0o600);

    const file = join(withService.dir, 'conversations.json');
    writeFileSync(file, exportJson);
    ai.resetStats();
    const imported = await cogzy(['import', file, '--no-push', '--json'], withService.env);
    expect(imported.json, imported.stderr).toMatchObject({ ok: true, embedding: { model: 'remote:stand-in-embed', dim: 128, missing: 3, embedded: 3, error: null } });
    expect([...ai.stats.embedded.values()]).toEqual([1, 1, 1]);
    const status = await cogzy(['status', '--json'], withService.env);
    expect(status.json).toMatchObject({ vectors: [{ model: 'remote:stand-in-embed', dim: 128, count: 3 }] });
    // The vector records wait to be pushed with the import (C38): 3 conversations + 3 nodes + 3 vectors.
    expect(status.json.pendingChanges).toBe(9);

    ai.resetStats();
    const query = 'sun and moon pulls at full moon';
    const semantic = await cogzy(['search', query, '--mode', 'semantic', '--json'], withService.env);
    expect(semantic.json, semantic.stderr).toMatchObject({ ok: true, mode: 'semantic', requestedMode: 'semantic', note: null, vectors: { model: 'remote:stand-in-embed', dim: 128, count: 3, exchanges: 3 } });
    const hits = semantic.json.hits as { conversationTitle: string; score: number }[];
    expect(hits.map((h) => h.conversationTitle)[0]).toBe('Tides');
    expect(hits).toHaveLength(3);
    expect(hits[0]!.score).toBeGreaterThan(0.3);
    expect(hits[0]!.score).toBeLessThanOrEqual(1);
    // Only the query went to the service: the exchanges' vectors were read from the local copy.
    expect([...ai.stats.embedded.keys()]).toEqual([query]);

    // Hybrid: a word only one exchange holds keeps it first; meaning adds the others after it.
    const hybrid = await cogzy(['search', 'acetone', '--mode', 'hybrid', '--json'], withService.env);
    expect(hybrid.json).toMatchObject({ mode: 'hybrid', note: null });
    expect((hybrid.json.hits as { conversationTitle: string }[])[0]?.conversationTitle).toBe('Bread');
    const text = await cogzy(['search', query, '--mode', 'semantic', '--limit', '1'], withService.env);
    expect(text.stdout).toMatch(/^1\. Tides /);
  });

  it('answers by keywords and says why in one sentence: no service, another model, a refused key', async () => {
    const file = join(without.dir, 'conversations.json');
    writeFileSync(file, exportJson);
    expect((await cogzy(['import', file, '--no-push', '--json'], without.env)).json).toMatchObject({ ok: true, embedding: null });
    const none = await cogzy(['search', 'acetone', '--mode', 'semantic', '--json'], without.env);
    expect(none.json).toMatchObject({ ok: true, mode: 'keyword', requestedMode: 'semantic', semanticError: null, vectors: null });
    expect(none.json.note).toMatch(/^Searching by meaning needs an embedding service on this computer \(set COGZY_EMBED_URL and COGZY_EMBED_MODEL, or run cogzy config\); these are keyword results\.$/);
    expect((none.json.hits as { conversationTitle: string }[])[0]?.conversationTitle).toBe('Bread');
    const noneText = await cogzy(['search', 'acetone', '--mode', 'hybrid'], without.env);
    expect(noneText.stdout.split('\n')[0]).toMatch(/needs an embedding service/);
    const embedWithout = await cogzy(['embed'], without.env);
    expect([embedWithout.code, embedWithout.stderr]).toEqual([2, expect.stringMatching(/No embedding service is set on this computer/)]);
    // A service configured, but the vault holds no vectors yet.
    const noVectors = await cogzy(['search', 'acetone', '--mode', 'semantic', '--json'], { ...without.env, COGZY_EMBED_URL: ai.url, COGZY_EMBED_MODEL: 'stand-in-embed', COGZY_EMBED_KEY: API_KEY });
    expect(noVectors.json.note).toMatch(/No exchange on this computer has a vector yet \(run cogzy embed/);

    ai.resetStats();
    const other = await cogzy(['search', 'acetone', '--mode', 'semantic', '--json'], { ...withService.env, COGZY_EMBED_MODEL: 'text-embedding-3-large' });
    expect(other.json).toMatchObject({ mode: 'keyword', requestedMode: 'semantic' });
    expect(other.json.note).toMatch(/made with stand-in-embed \(128 dimensions\), which cannot be compared with text-embedding-3-large/);
    // Knowing the vectors cannot match, nothing was sent to the service.
    expect(ai.stats.requests).toBe(0);

    const refused = await cogzy(['search', 'acetone', '--mode', 'hybrid', '--json'], { ...withService.env, COGZY_EMBED_KEY: 'sk-wrong-key' });
    expect(refused.code).toBe(0);
    expect(refused.json).toMatchObject({ mode: 'keyword', requestedMode: 'hybrid', semanticError: { code: 'EMBEDDER_UNAUTHORIZED' } });
    expect(refused.json.note).toMatch(/^Searching by meaning failed, so these are keyword results: The embeddings service refused the API key\. Check the key \(COGZY_EMBED_\* or cogzy config\)\.$/);
    expect((refused.json.hits as { conversationTitle: string }[])[0]?.conversationTitle).toBe('Bread');
    const unreachable = await cogzy(['search', 'acetone', '--mode', 'semantic'], { ...withService.env, COGZY_EMBED_URL: 'http://127.0.0.1:9' });
    expect(unreachable.code).toBe(0);
    expect(unreachable.stdout.split('\n')[0]).toMatch(/^Searching by meaning failed, so these are keyword results: The embeddings service could not be reached/);
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('search_memory over MCP uses the vectors, and vault_status says search by meaning is on', async () => {
    const env = Object.fromEntries(Object.entries(withService.env).filter((e): e is [string, string] => e[1] !== undefined));
    const client = new Client({ name: 'cogzy-vectors', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [cogzyBin, 'mcp'], env, cwd: repoRoot, stderr: 'pipe' }));
    try {
      type Result = { isError?: boolean; content: { text?: string }[]; structuredContent?: Record<string, unknown> };
      const found = (await client.callTool({ name: 'search_memory', arguments: { query: 'sourdough starter ran out of flour', mode: 'semantic', limit: 2 } })) as Result;
      outputs.push(found.content.map((c) => c.text ?? '').join('\n'));
      expect(found.isError ?? false).toBe(false);
      expect(found.structuredContent).toMatchObject({ mode: 'semantic', note: null, vectors: { count: 3 } });
      expect((found.structuredContent?.hits as { conversationTitle: string }[])[0]?.conversationTitle).toBe('Bread');
      const status = (await client.callTool({ name: 'vault_status', arguments: {} })) as Result;
      outputs.push(status.content.map((c) => c.text ?? '').join('\n'));
      expect(status.structuredContent).toMatchObject({ semanticSearch: true, embeddingModel: 'remote:stand-in-embed' });
    } finally {
      await client.close();
    }
  });

  it('keeps the API key in the 0600 settings file only: in no other file of the home and in no output', () => {
    for (const home of [withService, without]) {
      for (const name of readdirSync(home.dir)) {
        const holds = readFileSync(join(home.dir, name)).includes(API_KEY);
        expect([name, holds]).toEqual([name, home === withService && name === 'config.json']);
      }
    }
    expect(statSync(cliHome(withService.env).configFile).mode & 0o777).toBe(0o600);
    expect(outputs.length).toBeGreaterThan(20);
    expect(outputs.filter((o) => o.includes(API_KEY))).toEqual([]);
  });
});

describe('vector records in the SQLite store', () => {
  it('keep their bytes in the vectors table, read back whole, and leave with their node', async () => {
    const home = tempHome('cogzy-vec-store-');
    try {
      const vault = openSqliteVault(cliHome(home.env).vaultFile, 'cli-vec-store');
      const ctx = { store: vault.store, clock: { now: () => Date.now() }, deviceId: 'cli-vec-store' };
      const tides = conversationFixture('tides', 1, [['spring tides', 'sun and moon']]);
      await importItems(ctx, { conversations: [tides.conversation], nodes: tides.nodes });
      const node = tides.nodes[0]!;
      const data = Buffer.from(Int8Array.from([127, -128, 0, 5])).toString('base64');
      const record = { type: 'vector' as const, id: `remote:m|${node.id}`, nodeId: node.id, conversationId: node.conversationId, model: 'remote:m', scale: 0.01, data };
      await vault.store.transaction(async (tx) => tx.putRecord(record));
      expect(await vault.store.transaction(async (tx) => tx.getRecord(`vector:${record.id}`))).toEqual(record);
      expect(vault.reader.get(`vector:${record.id}`)).toEqual(record);
      expect((await vault.store.allRecords()).find((r) => r.type === 'vector')).toEqual(record);
      expect(vault.reader.vectorModels()).toEqual([{ model: 'remote:m', dim: 4, count: 1 }]);
      expect([...vault.reader.vectorsAfter('remote:m', 4, 0)].map((v) => [v.nodeId, v.scale, [...new Int8Array(v.data.buffer, v.data.byteOffset, v.data.length)]])).toEqual([[node.id, 0.01, [127, -128, 0, 5]]]);
      expect(vault.reader.nodesWithoutVector('remote:m', 4)).toEqual([]);
      await deleteItem(ctx, `conversation:${tides.conversation.id}`);
      expect(vault.reader.vectorModels()).toEqual([]);
      expect(vault.reader.get(`vector:${record.id}`)).toBeUndefined();
      vault.close();
    } finally {
      home.remove();
    }
  });
});
