/**
 * Issue 13, end to end: the browser app and the `cogzy` command-line device share one vault through the real Worker
 * (`wrangler dev`, local D1) and the local S3 server. The browser signs up, imports a generated ChatGPT export and
 * sets up sync; the CLI logs in and unlocks with the same passphrase, and `cogzy mcp` (driven by the MCP SDK's own
 * client over stdio) finds the browser's import with `search_memory`; a memory stored through `store_memory` shows on
 * the browser's Ask page after it syncs; a conversation deleted in the browser's reader leaves the MCP results after
 * `sync_now`. The browser embeds its import with a remote OpenAI-compatible service (the stand-in) before it syncs,
 * and `search_memory` in semantic mode ranks by those pulled vectors, sending only the query to the service (C45-C47).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { serveStatic, type StaticServer } from '../support/browser-server';
import { importThroughUi, launchApp, type BrowserSession } from '../support/browser';
import { cogzyBin, repoRoot, runCogzy, tempHome, type TempHome } from '../support/cli-home';
import { generateExport } from '../support/generate-chatgpt';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server';
import { startLocalS3, type LocalS3 } from '../support/s3-server';
import { startLocalWorker, type LocalWorker } from '../support/sync-client';
import { openSyncPage, syncNowThroughUi, waitInSyncShown } from '../support/sync-pages';

const dist = resolve(import.meta.dirname, '..', '..', 'dist');
inject('baseUrl');

const email = `mcp-e2e-${randomUUID()}@example.com`;
const password = 'account password for mcp e2e';
const passphrase = 'copper meadow lantern quince 19';
const tag = randomUUID().replace(/-/g, '').slice(0, 10);
/** Marker words put into the export's first two conversations: one to delete, one that stays. */
const markers = [0, 1].map((i) => `zq${tag}x${i}`);
const memoryText = `Keeps bees on the roof ${tag}`;

type Json = Record<string, unknown>;
type Hit = { nodeId: string; conversationId: string; conversationTitle: string; snippet: string; link: string };
type ToolResult = { isError?: boolean; content: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> };

function exportWithMarkers(): { json: string; conversationIds: string[]; questions: string[] } {
  const values = JSON.parse(generateExport({ seed: 29, conversations: 4 }).json) as Json[];
  const questions: string[] = [];
  const conversationIds = markers.map((marker, i) => {
    const conversation = values[i]!;
    conversation['title'] = `${String(conversation['title'])} ${marker}`;
    const mapping = conversation['mapping'] as Record<string, { message: Json | null }>;
    const user = Object.values(mapping).find((n) => (n.message?.['author'] as Json | undefined)?.['role'] === 'user');
    const content = user!.message!['content'] as { parts: string[] };
    content.parts[0] = `${content.parts[0] ?? ''} ${marker} keep this in mind`;
    questions.push(content.parts[0]);
    return `chatgpt:${String(conversation['id'])}`;
  });
  return { json: JSON.stringify(values), conversationIds, questions };
}

const openSync = openSyncPage;
const waitInSync = (page: Page, timeout = 60_000): Promise<void> => waitInSyncShown(page, timeout);
const syncNow = (page: Page, appUrl: string): Promise<void> => syncNowThroughUi(page, appUrl);

async function memoriesShown(page: Page): Promise<string[]> {
  const list = page.getByTestId('memory-list');
  return list.getByRole('textbox', { name: 'Memory' }).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
}

describe('the browser app and `cogzy mcp` share one vault', () => {
  let s3: LocalS3;
  let worker: LocalWorker;
  let web: StaticServer;
  let browser: BrowserSession;
  let appUrl: string;
  let home: TempHome;
  let client: Client | null = null;
  let ai: OpenAiServer;
  const data = exportWithMarkers();

  const call = async (name: string, args: Record<string, unknown> = {}): Promise<ToolResult> => {
    if (client === null) throw new Error('the MCP client is not connected');
    return (await client.callTool({ name, arguments: args })) as ToolResult;
  };
  const text = (result: ToolResult): string => result.content.map((c) => c.text ?? '').join('\n');
  const hitsFor = async (query: string): Promise<Hit[]> => {
    const result = await call('search_memory', { query, limit: 10, mode: 'keyword' });
    expect(result.isError, text(result)).toBeFalsy();
    return result.structuredContent?.hits as Hit[];
  };
  const syncCli = async (): Promise<void> => {
    const result = await call('sync_now');
    expect(result.isError, text(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ state: 'in-sync' });
  };

  beforeAll(async () => {
    let workerUrl: string | null = null;
    web = await serveStatic(dist, { apiTarget: () => workerUrl });
    appUrl = web.url;
    s3 = await startLocalS3('cogzy-mcp-e2e', { allowedOrigins: [appUrl.replace(/\/$/, '')] });
    worker = await startLocalWorker({ ...s3.env, APP_ORIGIN: appUrl.replace(/\/$/, '') });
    workerUrl = worker.url;
    browser = await launchApp();
    home = tempHome('cogzy-mcp-e2e-');
    ai = await startOpenAiServer();
  }, 180_000);

  afterAll(async () => {
    await client?.close();
    await browser?.close();
    await web?.close();
    await worker?.close();
    await s3?.close();
    await ai?.close();
    home?.remove();
  });

  it('the browser signs up, imports and sets up sync; the CLI logs in and unlocks with the same passphrase', async () => {
    const { page } = browser;
    await page.goto(`${appUrl}#/account`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('button', { name: 'Create account' }).first().click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel(/^Password/).fill(password);
    await page.locator('form').getByRole('button', { name: 'Create account' }).click();
    await page.getByTestId('account-email').waitFor();

    const path = join(home.dir, 'conversations.json');
    writeFileSync(path, data.json);
    await page.goto(`${appUrl}#/import`);
    const [shown] = await importThroughUi(page, [path]);
    expect(shown?.status).toBe('complete');

    // The browser embeds the import with a remote service; its vectors go up with the first sync (C20, C38).
    await page.goto(`${appUrl}#/settings`);
    await page.getByLabel('An OpenAI-compatible service').check();
    await page.getByLabel('Service URL').fill(ai.url);
    await page.getByLabel('Model', { exact: true }).fill('stand-in-embed');
    await page.getByLabel('Dimensions (optional)').fill('128');
    await page.getByRole('button', { name: 'Save and start' }).click();
    await expect.poll(async () => (await page.getByTestId('embedding-status').getAttribute('data-phase')) ?? '', { timeout: 60_000 }).toBe('ready');
    await expect.poll(async () => Number(await page.getByTestId('vector-count').textContent()), { timeout: 60_000 }).toBe(shown?.created);

    await openSync(page, appUrl);
    await page.getByLabel(/^Passphrase \(/).fill(passphrase);
    await page.getByLabel('The same passphrase again').fill(passphrase);
    await page.getByLabel(/I understand/).check();
    await page.getByRole('button', { name: 'Set up sync' }).click();
    await page.getByTestId('recovery-code').waitFor({ timeout: 60_000 });
    await page.getByLabel('I saved my recovery code').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await waitInSync(page);

    const login = await runCogzy(['login', '--server', worker.url, '--email', email, '--stdin', '--json'], home.env, `${password}\n`);
    expect(login.json, login.stdout + login.stderr).toMatchObject({ ok: true, email });
    const unlocked = await runCogzy(['unlock', '--json'], { ...home.env, COGZY_PASSPHRASE: passphrase });
    expect(unlocked.json, unlocked.stdout + unlocked.stderr).toMatchObject({ ok: true, unlocked: true });

    // It pulls on start; the periodic pull is put an hour away so that only sync_now moves its copy in this test.
    const env = Object.fromEntries(
      Object.entries({ ...home.env, COGZY_EMBED_URL: ai.url, COGZY_EMBED_MODEL: 'stand-in-embed', COGZY_EMBED_DIMENSIONS: '128' }).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const connecting = new Client({ name: 'cogzy-mcp-e2e', version: '1.0.0' });
    await connecting.connect(new StdioClientTransport({ command: process.execPath, args: [cogzyBin, 'mcp', '--pull-every', '3600'], env, cwd: repoRoot, stderr: 'pipe' }));
    client = connecting;
  }, 240_000);

  it('a conversation imported in the browser is found by search_memory after the CLI syncs', async () => {
    await syncCli();
    for (const [i, marker] of markers.entries()) {
      const hits = await hitsFor(marker);
      expect(hits.map((h) => h.conversationId), marker).toEqual([data.conversationIds[i]]);
      expect(hits[0]!.snippet).toContain(marker);
      expect(hits[0]!.link).toBe(`${worker.url.replace(/\/+$/, '')}/#/c/${encodeURIComponent(data.conversationIds[i]!)}?node=${hits[0]!.nodeId}`);
    }
    expect((await call('vault_status')).structuredContent).toMatchObject({ conversations: 4, canSync: true });
  }, 120_000);

  it('search_memory in semantic mode ranks by the vectors the browser made, and embeds only the query', async () => {
    const status = (await call('vault_status')).structuredContent as { exchanges: number; semanticSearch: boolean; vectors: { model: string; dim: number; count: number }[] };
    expect(status.semanticSearch).toBe(true);
    expect(status.vectors).toEqual([{ model: 'remote:stand-in-embed', dim: 128, count: status.exchanges }]);
    ai.resetStats();
    // The whole question, as a person might paste it: the stand-in's hashed words (128 buckets) make a few words a
    // coin toss against a random marker's collisions, while the whole question ranks its own exchange first.
    const query = data.questions[1]!.slice(0, 1000);
    const result = await call('search_memory', { query, limit: 3, mode: 'semantic' });
    expect(result.isError, text(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ mode: 'semantic', note: null, vectors: { model: 'remote:stand-in-embed', count: status.exchanges } });
    expect((result.structuredContent?.hits as Hit[])[0]?.conversationId).toBe(data.conversationIds[1]);
    expect([...ai.stats.embedded.keys()]).toEqual([query]);
  }, 60_000);

  it('a memory stored through store_memory appears on the browser\'s Ask page after it syncs', async () => {
    const stored = await call('store_memory', { text: memoryText });
    expect(stored.isError, text(stored)).toBeFalsy();
    expect(stored.structuredContent?.id).toMatch(/^[0-9a-f]{64}$/);
    // The tool answered at once; the push runs in the background. sync_now pushes whatever is still waiting.
    await syncCli();
    expect((await call('vault_status')).structuredContent).toMatchObject({ memories: 1, pendingChanges: 0 });

    const { page } = browser;
    await page.goto(`${appUrl}#/ask`);
    await page.getByRole('button', { name: 'Add a memory' }).waitFor();
    expect(await memoriesShown(page)).not.toContain(memoryText);
    await syncNow(page, appUrl);
    await page.goto(`${appUrl}#/ask`);
    await expect.poll(() => memoriesShown(page), { timeout: 15_000 }).toEqual([memoryText]);
  }, 180_000);

  it('a conversation deleted in the browser leaves the search_memory results after sync_now', async () => {
    const { page } = browser;
    await page.goto(`${appUrl}#/c/${encodeURIComponent(data.conversationIds[0]!)}`);
    await page.getByRole('button', { name: 'Delete conversation…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete conversation' }).click();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    await syncNow(page, appUrl);

    // Before the CLI syncs, its local copy still has it: the change arrives through the vault, not by magic.
    expect(await hitsFor(markers[0]!)).toHaveLength(1);
    await syncCli();
    expect(await hitsFor(markers[0]!)).toEqual([]);
    expect((await hitsFor(markers[1]!)).map((h) => h.conversationId)).toEqual([data.conversationIds[1]]);
    const gone = await call('get_conversation', { id: data.conversationIds[0]! });
    expect(gone.isError).toBe(true);
    expect((await call('vault_status')).structuredContent).toMatchObject({ conversations: 3, memories: 1 });
  }, 180_000);
});
