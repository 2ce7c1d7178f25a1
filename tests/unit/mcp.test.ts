// `cogzy mcp` driven by the MCP SDK's own client over stdio, as Claude Desktop or Cursor would: the tools and their
// annotations, each tool called (and called wrongly), the resources. The device here is signed in but cannot reach
// a server and holds no vault key: everything answers from the local copy (offline), and sync_now says why not.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAccount, cliHome } from '../../shared/cli/home';
import { MCP_TOOL_NAMES } from '../../shared/cli/mcp-server';
import { openSqliteVault } from '../../shared/cli/sqlite-store';
import { importItems } from '../../shared/sync/vault-ops';
import { cogzyBin, conversationFixture, repoRoot, tempHome, type TempHome } from '../support/cli-home';

let home: TempHome;
let client: Client;
const tides = conversationFixture('tides', 1, [
  ['how do spring tides work', 'the sun and the moon line up, so the tide range is largest'],
  ['and neap tides?', 'at quarter moons the pulls partly cancel'],
]);
const bread = conversationFixture('bread', 2, [['my sourdough starter smells of acetone', 'feed it more often: it is hungry']]);

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> };
const call = async (name: string, args: Record<string, unknown> = {}): Promise<ToolResult> => (await client.callTool({ name, arguments: args })) as ToolResult;
const text = (result: ToolResult): string => result.content.map((c) => c.text ?? '').join('\n');
const resourceJson = async (uri: string): Promise<unknown> => {
  const [content] = (await client.readResource({ uri })).contents;
  if (content === undefined || !('text' in content)) throw new Error(`no text in ${uri}`);
  return JSON.parse(content.text);
};

beforeAll(async () => {
  home = tempHome('cogzy-mcp-');
  const paths = cliHome(home.env);
  writeAccount(paths, { version: 1, server: 'http://127.0.0.1:9', email: 'mcp@example.com', token: 'not-a-real-session', deviceId: 'cli-mcp-test' });
  const vault = openSqliteVault(paths.vaultFile, 'cli-mcp-test');
  await importItems({ store: vault.store, clock: { now: () => Date.now() }, deviceId: 'cli-mcp-test' }, {
    conversations: [tides.conversation, bread.conversation],
    nodes: [...tides.nodes, ...bread.nodes],
  });
  vault.close();
  const env = Object.fromEntries(Object.entries(home.env).filter((e): e is [string, string] => e[1] !== undefined));
  client = new Client({ name: 'cogzy-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [cogzyBin, 'mcp'], env, cwd: repoRoot, stderr: 'pipe' }));
}, 60_000);

afterAll(async () => {
  await client?.close();
  home?.remove();
});

describe('cogzy mcp over stdio, with the SDK client', () => {
  it('lists the eight tools with input schemas and read-only / destructive annotations, and the two resources', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...MCP_TOOL_NAMES].sort());
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('search_memory')?.inputSchema.properties).toHaveProperty('query');
    expect(byName.get('search_memory')?.inputSchema.required).toEqual(['query']);
    for (const name of ['search_memory', 'get_conversation', 'list_recent', 'vault_status']) expect(byName.get(name)?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get('delete_memory')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get('store_memory')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((r) => r.uriTemplate)).toEqual(['cogzy://conversation/{id}']);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['cogzy://memories', `cogzy://conversation/${encodeURIComponent(tides.conversation.id)}`]));
  });

  it('search_memory finds exchanges by their words with title, date, snippet and link, honours filters, and says semantic is keyword here', async () => {
    const found = await call('search_memory', { query: 'neap tides', limit: 5 });
    expect(found.isError).toBeFalsy();
    const hits = found.structuredContent?.hits as { nodeId: string; conversationTitle: string; date: string; snippet: string; link: string }[];
    expect(hits[0]).toMatchObject({ nodeId: tides.nodes[1]!.id, conversationTitle: 'tides chat 1', date: '2025-01-02T00:00:00.000Z' });
    expect(hits[0]!.snippet).toContain('neap');
    expect(hits[0]!.link).toBe(`http://127.0.0.1:9/#/c/${encodeURIComponent(tides.conversation.id)}?node=${tides.nodes[1]!.id}`);
    expect(found.structuredContent?.note).toMatch(/keyword/);
    const filtered = await call('search_memory', { query: 'sourdough', mode: 'keyword', providers: ['chatgpt'] });
    expect(filtered.structuredContent?.hits).toEqual([]);
    const dated = await call('search_memory', { query: 'tides', from: '2025-01-03' });
    expect(dated.structuredContent?.hits).toEqual([]);
  });

  it('rejects bad search input with an error that names what to fix', async () => {
    for (const [args, words] of [
      [{}, /query/],
      [{ query: '' }, /query must contain/],
      [{ query: 'x', limit: 500 }, /limit must be at most 50/],
      [{ query: 'x', mode: 'psychic' }, /mode/],
      [{ query: 'x', providers: ['myspace'] }, /providers/],
      [{ query: 'x', from: 'last tuesday' }, /date like 2025-03-31/],
    ] as const) {
      const result = await call('search_memory', args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(text(result)).toMatch(words);
    }
  });

  it('get_conversation reads a conversation by its id or an exchange id, in a range, and refuses unknown ids and bad ranges', async () => {
    const whole = await call('get_conversation', { id: tides.conversation.id });
    expect(whole.structuredContent).toMatchObject({ totalExchanges: 2, conversation: { title: 'tides chat 1' } });
    const second = await call('get_conversation', { id: tides.nodes[0]!.id, start: 1 });
    expect((second.structuredContent?.exchanges as { human: string }[]).map((e) => e.human)).toEqual(['and neap tides?']);
    const missing = await call('get_conversation', { id: 'claude:nope' });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/not found/i);
    expect((await call('get_conversation', { id: tides.conversation.id, start: 2, end: 1 })).isError).toBe(true);
    expect((await call('get_conversation', {})).isError).toBe(true);
  });

  it('list_recent lists conversations newest first', async () => {
    const recent = await call('list_recent', { limit: 5 });
    expect((recent.structuredContent?.conversations as { id: string }[]).map((c) => c.id)).toEqual([bread.conversation.id, tides.conversation.id]);
    expect((await call('list_recent', { limit: 0 })).isError).toBe(true);
  });

  it('stores memories locally at once (one per equal text), lists them as a resource, deletes one, and validates input', async () => {
    const stored = await call('store_memory', { text: 'Prefers metric units' });
    expect(stored.isError).toBeFalsy();
    const id = stored.structuredContent?.id as string;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.structuredContent?.syncState).toMatch(/local-only/);
    const batch = await call('batch_store_memories', { texts: ['Lives in Brest', 'prefers  METRIC units'] });
    expect((batch.structuredContent?.ids as string[])[1]).toBe(id);
    const { memories } = (await resourceJson('cogzy://memories')) as { memories: { id: string; text: string }[] };
    expect(memories.map((m) => m.text).sort()).toEqual(['Lives in Brest', 'Prefers metric units']);
    expect((await call('vault_status')).structuredContent).toMatchObject({ memories: 2, conversations: 2, exchanges: 3, canSync: false });

    expect((await call('delete_memory', { id })).structuredContent).toMatchObject({ deleted: id });
    const after = (await resourceJson('cogzy://memories')) as { memories: unknown[] };
    expect(after.memories).toHaveLength(1);
    // Deleted for good: storing the same text again does not bring it back (C9), and deleting it again is NOT_FOUND.
    await call('store_memory', { text: 'Prefers metric units' });
    expect((await call('vault_status')).structuredContent).toMatchObject({ memories: 1 });
    expect(text(await call('delete_memory', { id }))).toMatch(/not found/i);

    expect(text(await call('store_memory', { text: '   ' }))).toMatch(/text must not be empty/);
    expect(text(await call('batch_store_memories', { texts: [] }))).toMatch(/at least one/);
    expect(text(await call('delete_memory', { id: 'abc' }))).toMatch(/64-character memory id/);
  });

  it('reads a conversation resource and answers sync_now offline-and-locked with the sentence to act on', async () => {
    expect(await resourceJson(`cogzy://conversation/${encodeURIComponent(bread.conversation.id)}`)).toMatchObject({ conversation: { id: bread.conversation.id }, totalExchanges: 1 });
    const sync = await call('sync_now');
    expect(sync.isError).toBe(true);
    expect(text(sync)).toMatch(/cogzy unlock/);
    expect((await call('vault_status')).structuredContent).toMatchObject({ canSync: false, lastError: { code: 'CLI_VAULT_LOCKED' } });
  });
});
