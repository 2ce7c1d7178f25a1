/**
 * The vault end to end in a real browser against the production build: import through the UI (provider fixtures
 * and generated exports), the counts shown, search → the right exchange, offline search, importing twice, a corrupt
 * file, export, delete, and cancelling a big import. Expected counts come from running the shared importer in node
 * over the same bytes (what the core says the file holds), never from the page.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { seededRandom } from '../../shared/embed/random';
import { ERROR_MESSAGES } from '../../shared/errors';
import type { MemoryNode } from '../../shared/model';
import { fileSource, MemoryStore, runImport } from '../support/import-helpers';
import { generateExport, writeExport } from '../support/generate-chatgpt';
import { generateClaudeExport } from '../support/generate-claude';
import { generateDeepseekExport } from '../support/generate-deepseek';
import { generateGeminiExport } from '../support/generate-gemini';
import { generateGrokExport } from '../support/generate-grok';
import {
  importThroughUi,
  launchApp,
  screenshotDir,
  vaultSizeShown,
  waitForServiceWorker,
  type BrowserSession,
  type ShownImport,
} from '../support/browser';

const baseUrl = inject('baseUrl');
const shots = screenshotDir();
const fixturesDir = resolve(import.meta.dirname, '../../../shared/fixtures');
const work = mkdtempSync(join(tmpdir(), 'cogzy-e2e-'));

interface Expected {
  readonly status: string;
  readonly created: number;
  readonly deduplicated: number;
  readonly skipped: number;
  readonly conversations: number;
  readonly error: string | undefined;
}

/** What the importer core says importing `path` into a vault holding `store` gives (and updates `store`). */
async function expectedFor(path: string, store: MemoryStore): Promise<Expected> {
  const before = store.conversations.size;
  const { report } = await runImport(fileSource(path), store);
  const skipped = Object.values(report.skipped).reduce((a, b) => a + b, 0);
  return {
    status: report.status,
    created: report.nodes,
    deduplicated: report.duplicates,
    skipped,
    conversations: store.conversations.size - before,
    error: report.error?.message,
  };
}

function expectShown(shown: ShownImport | undefined, expected: Expected, label: string): void {
  expect(shown, `${label}: the page shows a result`).toBeDefined();
  if (!shown) return;
  expect({ status: shown.status, created: shown.created, deduplicated: shown.deduplicated, skipped: shown.skipped }, label).toEqual({
    status: expected.status,
    created: expected.created,
    deduplicated: expected.deduplicated,
    skipped: expected.skipped,
  });
  if (expected.status === 'complete') expect(shown.conversations, `${label}: new conversations`).toBe(expected.conversations);
  if (expected.error) expect(shown.sentence, `${label}: the error sentence`).toContain(expected.error);
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the vault in the browser', () => {
  let app: BrowserSession;

  beforeAll(async () => {
    app = await launchApp();
    await app.page.goto(baseUrl);
    await app.page.getByText('Drop your ChatGPT, Claude, Gemini, Grok, DeepSeek or Copilot export here').waitFor();
  });
  afterAll(async () => {
    await app.close();
  });

  describe.skipIf(!existsSync(fixturesDir))('provider fixtures (skipped: ../shared/fixtures is absent)', () => {
    it('imports each provider fixture through the page and shows the counts the importer reports', async () => {
      const store = new MemoryStore();
      const providers = readdirSync(fixturesDir, { withFileTypes: true }).filter((d) => d.isDirectory());
      expect(providers.length).toBeGreaterThan(0);
      for (const provider of providers) {
        const files = readdirSync(join(fixturesDir, provider.name)).filter((f) => /\.(json|zip|csv|html?)$/i.test(f));
        for (const file of files) {
          const path = join(fixturesDir, provider.name, file);
          const expected = await expectedFor(path, store);
          const [shown] = await importThroughUi(app.page, [path]);
          expectShown(shown, expected, `${provider.name}/${file}`);
        }
      }
      const size = await vaultSizeShown(app.page);
      expect(size).toEqual({ conversations: store.conversations.size, nodes: store.nodes.size });
    });
  });

  async function deleteVaultThroughUi(): Promise<void> {
    const { page } = app;
    await page.goto(`${baseUrl}#/settings`);
    await page.getByRole('button', { name: 'Delete vault…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete your vault?' });
    await dialog.waitFor();
    const confirm = dialog.getByRole('button', { name: 'Delete everything' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type DELETE to confirm').fill('DELETE');
    await confirm.click();
    await page.getByText('Your vault was deleted from this device.').waitFor();
  }

  it('deletes the vault only after the person confirms', async () => {
    await deleteVaultThroughUi();
    expect(await vaultSizeShown(app.page)).toEqual({ conversations: 0, nodes: 0 });
  });

  const store = new MemoryStore();
  const chatgptPath = join(work, 'conversations.json');

  it('imports generated exports of every provider and shows the counts the importer reports', async () => {
    const random = seededRandom(11);
    const files: [string, string][] = [
      [chatgptPath, generateExport({ seed: 7, conversations: 40 }).json],
      [join(work, 'claude-conversations.json'), JSON.stringify(generateClaudeExport(random, { conversations: 8, turns: 4, newTurns: 1 }).earlier)],
      [join(work, 'deepseek-conversations.json'), JSON.stringify(generateDeepseekExport(random, { conversations: 6, turns: 4, newTurns: 1 }).earlier)],
      [join(work, 'prod-grok-backend.json'), JSON.stringify(generateGrokExport(random, { conversations: 6, turns: 4, newTurns: 1 }).earlier)],
      [join(work, 'MyActivity.json'), JSON.stringify(generateGeminiExport(random, { sessions: 5, promptsPerSession: 3, newSessions: 1 }).earlier.json)],
    ];
    for (const [path, text] of files) writeFileSync(path, text);
    for (const [path] of files) {
      const expected = await expectedFor(path, store);
      expect(expected.status, `${path} is a readable export`).toBe('complete');
      expect(expected.created).toBeGreaterThan(0);
      const [shown] = await importThroughUi(app.page, [path]);
      expectShown(shown, expected, path);
    }
    expect(await vaultSizeShown(app.page)).toEqual({ conversations: store.conversations.size, nodes: store.nodes.size });
    await app.page.goto(`${baseUrl}#/import`);
    await app.page.getByTestId('import-history').waitFor();
    await app.page.screenshot({ path: join(shots, 'import-desktop-light.png'), fullPage: true });
  });

  it('importing the same file again adds nothing and says so', async () => {
    const before = await vaultSizeShown(app.page);
    const expected = await expectedFor(chatgptPath, store);
    expect(expected.created).toBe(0);
    const [shown] = await importThroughUi(app.page, [chatgptPath]);
    expectShown(shown, expected, 'second import');
    expect(shown?.sentence).toMatch(/nothing new/i);
    expect(await vaultSizeShown(app.page)).toEqual(before);
  });

  /** A phrase of three adjacent words from one exchange's prompt that no other exchange in the vault contains. */
  function uniquePhrase(): { node: MemoryNode; phrase: string } {
    // Compare as the search does: words only, punctuation and case ignored.
    const words = (text: string): string => ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `;
    const all = [...store.nodes.values()].map((n) => words(`${n.human.text}\n${n.assistant?.text ?? ''}`));
    for (const node of [...store.nodes.values()].filter((n) => n.provider === 'chatgpt' && n.active && n.ordinal >= 3)) {
      const tokens = node.human.text.split(/\s+/);
      for (let i = 0; i + 3 <= tokens.length; i++) {
        const window = tokens.slice(i, i + 3);
        if (!window.every((w) => /^[a-z]{3,}$/i.test(w))) continue;
        const phrase = window.join(' ');
        if (all.filter((t) => t.includes(words(phrase))).length === 1) return { node, phrase };
      }
    }
    throw new Error('no unique phrase in the generated export');
  }

  it('search finds a known phrase; Enter opens the conversation at that exchange, highlighted', async () => {
    const { page } = app;
    const { node, phrase } = uniquePhrase();
    await page.goto(`${baseUrl}#/conversations`);
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    await page.keyboard.press('/');
    const box = page.getByRole('combobox', { name: 'Search your conversations' });
    await expect.poll(() => box.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type(`"${phrase}"`);
    const first = page.getByRole('listbox', { name: 'Search results' }).getByRole('option').first();
    await expect.poll(() => first.getAttribute('data-node-id'), { timeout: 10_000 }).toBe(node.id);
    expect(await first.locator('mark').first().textContent()).toBeTruthy();
    await page.screenshot({ path: join(shots, 'search-desktop-light.png'), fullPage: true });
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.hash.startsWith('#/c/'));
    // The hit passes its query along so the reader highlights the search words in the exchange.
    const [path = '', query] = new URL(page.url()).hash.split('?');
    expect(decodeURIComponent(path)).toBe(`#/c/${node.conversationId}`);
    expect(Object.fromEntries(new URLSearchParams(query))).toEqual({ node: node.id, q: `"${phrase}"` });
    const exchange = page.locator(`#node-${node.id}`);
    await exchange.waitFor();
    expect(await exchange.getAttribute('class')).toContain('highlight');
    await expect
      .poll(() => exchange.evaluate((el) => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }))
      .toBe(true);
    expect(await exchange.textContent()).toContain(phrase);
    await page.screenshot({ path: join(shots, 'reader-desktop-light.png') });
    // Esc closes the conversation and returns to the same results.
    await page.keyboard.press('Escape');
    await page.waitForURL((url) => url.hash.startsWith('#/search'));
    await expect.poll(() => first.getAttribute('data-node-id')).toBe(node.id);
    expect(await box.inputValue()).toBe(`"${phrase}"`);
  });

  it('after going offline and reloading, the app starts from the service worker and search still works', async () => {
    const { page, context } = app;
    const { node, phrase } = uniquePhrase();
    await page.goto(`${baseUrl}#/search`);
    await waitForServiceWorker(page);
    await context.setOffline(true);
    try {
      await page.goto(`${baseUrl}#/search?q=${encodeURIComponent(`"${phrase}"`)}`);
      await page.reload();
      await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
      await expect
        .poll(() => page.getByRole('listbox', { name: 'Search results' }).getByRole('option').first().getAttribute('data-node-id'), { timeout: 10_000 })
        .toBe(node.id);
    } finally {
      await context.setOffline(false);
    }
  });

  it('the reader renders markdown (highlighted code, tables) and never runs HTML from an export; snippets show it as text', async () => {
    const { page } = app;
    const t = 1_710_000_000;
    const msg = (id: string, role: string, text: string, time: number) => ({
      id,
      author: { role },
      create_time: time,
      content: { content_type: 'text', parts: [text] },
      recipient: 'all',
      metadata: {},
    });
    const reply = ['Here is the fix:', '', '```python', 'def greet(name):', '    return f"hi {name}"', '```', '', '| zebra | count |', '|---|---|', '| stripes | 3 |', '', '<img src="x" onerror="window.__pwned = true"> <script>window.__pwned = true</script>'].join('\n');
    const exportJson = [
      {
        id: 'markdown-check',
        title: 'Markdown check',
        create_time: t,
        update_time: t + 60,
        current_node: 'a1',
        mapping: {
          root: { id: 'root', message: null, parent: null, children: ['u1'] },
          u1: { id: 'u1', message: msg('u1', 'user', 'Why does <b>zebrafish</b> greet fail?', t), parent: 'root', children: ['a1'] },
          a1: { id: 'a1', message: msg('a1', 'assistant', reply, t + 30), parent: 'u1', children: [] },
        },
      },
    ];
    const path = join(work, 'markdown-conversations.json');
    writeFileSync(path, JSON.stringify(exportJson));
    const expected = await expectedFor(path, store);
    const [shown] = await importThroughUi(page, [path]);
    expectShown(shown, expected, 'markdown export');

    await page.goto(`${baseUrl}#/search?q=zebrafish`);
    const hit = page.getByRole('listbox', { name: 'Search results' }).getByRole('option').first();
    await hit.waitFor();
    expect(await hit.locator('.snippet').textContent()).toContain('<b>zebrafish</b>');
    expect(await hit.locator('.snippet b').count()).toBe(0);
    expect(await hit.locator('mark').first().textContent()).toBe('zebrafish');
    await hit.click();
    await page.waitForURL((url) => url.hash.startsWith('#/c/'));
    const code = page.locator('.markdown pre code.hljs');
    await code.waitFor();
    expect(await code.getAttribute('class')).toContain('language-python');
    expect(await code.locator('.hljs-keyword').first().textContent()).toBe('def');
    expect(await page.locator('.markdown table td').first().textContent()).toBe('stripes');
    expect(await page.locator('.markdown script, .markdown [onerror], .markdown img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned)).toBeUndefined();
    await page.screenshot({ path: join(shots, 'reader-markdown-desktop-light.png') });

    // Search scoped to this conversation finds only its exchange, even for a word many conversations contain.
    await page.getByRole('link', { name: 'Search in this conversation' }).click();
    await page.getByTestId('conversation-scope').waitFor();
    await page.getByRole('combobox', { name: 'Search your conversations' }).fill('the');
    const options = page.getByRole('listbox', { name: 'Search results' }).getByRole('option');
    await expect.poll(() => options.count()).toBe(1);
    expect(await options.first().locator('.result-title').textContent()).toBe('Markdown check');
  });

  it('keyboard: arrow keys move through results, Enter opens the selected one, Esc clears', async () => {
    const { page } = app;
    await page.goto(`${baseUrl}#/timeline`);
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await page.keyboard.press('/');
    const box = page.getByRole('combobox', { name: 'Search your conversations' });
    await expect.poll(() => box.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('the');
    const options = page.getByRole('listbox', { name: 'Search results' }).getByRole('option');
    await expect.poll(() => options.count()).toBeGreaterThan(2);
    expect(await options.nth(0).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    expect(await options.nth(1).getAttribute('aria-selected')).toBe('true');
    expect(await box.getAttribute('aria-activedescendant')).toBe(await options.nth(1).getAttribute('id'));
    const second = await options.nth(1).getAttribute('data-node-id');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.hash.startsWith('#/c/'));
    expect(new URL(page.url()).hash).toContain(`node=${second ?? 'missing'}`);
    await page.goBack();
    await box.waitFor();
    await box.focus();
    await page.keyboard.press('Escape');
    expect(await box.inputValue()).toBe('');
    await expect.poll(() => options.count()).toBe(0);
  });

  it('a corrupt file gives a clear error and leaves the vault unchanged', async () => {
    const before = await vaultSizeShown(app.page);
    const path = join(work, 'chatgpt-export.zip');
    const garbage = Buffer.alloc(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) % 251;
    writeFileSync(path, Buffer.concat([Buffer.from('PK\x03\x04'), garbage]));
    const expected = await expectedFor(path, new MemoryStore());
    expect(expected.status).toBe('failed');
    const [shown] = await importThroughUi(app.page, [path]);
    expectShown(shown, expected, 'corrupt zip');
    expect(Object.values(ERROR_MESSAGES)).toContain(expected.error);
    expect(await vaultSizeShown(app.page)).toEqual(before);
  });

  it('exports the vault as JSON with every conversation', async () => {
    const { page } = app;
    await page.goto(`${baseUrl}#/settings`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export as JSON' }).click()]);
    const path = join(work, 'export.json');
    await download.saveAs(path);
    const exported = JSON.parse(readFileSync(path, 'utf8')) as { format: string; conversations: { id: string }[] };
    expect(exported.format).toBe('cogzy-vault-export');
    expect(new Set(exported.conversations.map((c) => c.id))).toEqual(new Set(store.conversations.keys()));
  });

  it('browse screens render (conversation list, timeline) on desktop and phone, light and dark', async () => {
    const { page } = app;
    await page.goto(`${baseUrl}#/conversations`);
    await page.getByTestId('conversation-count').filter({ hasText: String(store.conversations.size) }).waitFor();
    await page.screenshot({ path: join(shots, 'conversations-desktop-light.png') });
    await page.goto(`${baseUrl}#/timeline`);
    await page.locator('svg.timeline-chart rect.bar').first().waitFor();
    await page.screenshot({ path: join(shots, 'timeline-desktop-light.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      for (const [route, name] of [
        ['#/conversations', 'conversations'],
        ['#/timeline', 'timeline'],
        [`#/search?q=${encodeURIComponent('the')}`, 'search'],
      ] as const) {
        await page.goto(`${baseUrl}${route}`);
        await page.locator('main h1').first().waitFor();
        await page.waitForTimeout(300);
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1), name).toBe(true);
        await page.screenshot({ path: join(shots, `${name}-phone-dark.png`) });
      }
      const { node } = uniquePhrase();
      await page.goto(`${baseUrl}#/c/${encodeURIComponent(node.conversationId)}?node=${node.id}`);
      await page.locator(`#node-${node.id}`).waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1), 'reader').toBe(true);
      await page.screenshot({ path: join(shots, 'reader-phone-dark.png') });
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });

  it('ran without uncaught page errors', () => {
    expect(app.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });

  it('cancelling a big import leaves a consistent vault: only whole conversations, marked cancelled', async () => {
    const { page } = app;
    // The generator numbers conversations from 0 in every export: start from an empty vault so ids do not overlap.
    await deleteVaultThroughUi();
    const path = join(work, 'big-conversations.json');
    const written = await writeExport(path, 48 * 1024 * 1024, 3);
    expect(written.conversations).toBeGreaterThan(100);
    await page.goto(`${baseUrl}#/import`);
    await page.getByTestId('file-input').setInputFiles(path);
    const progress = page.getByTestId('progress-conversations');
    await expect.poll(async () => Number((await progress.textContent().catch(() => '0'))?.replace(/\D/g, '') || 0), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: join(shots, 'import-progress-desktop-light.png') });
    await page.getByRole('button', { name: 'Cancel import' }).click();
    const result = page.getByTestId('import-result').locator('[data-import-id]');
    await result.first().waitFor({ timeout: 60_000 });
    expect(await result.first().getAttribute('data-status')).toBe('cancelled');

    // Every stored conversation has exactly its active thread, and every node belongs to a stored conversation.
    const check = await page.evaluate(
      () =>
        new Promise<{ conversations: number; broken: string[]; orphans: number }>((ok, fail) => {
          const open = indexedDB.open('cogzy-vault');
          open.onerror = () => fail(new Error(open.error?.message ?? "indexedDB.open failed"));
          open.onsuccess = () => {
            const db = open.result;
            // Nodes live in chunk rows (Dexie v7, db/node-store.ts): each chunk's nodes as JSON.
            const tx = db.transaction(['conversations', 'nodeData'], 'readonly');
            const convs = tx.objectStore('conversations').getAll();
            const chunks = tx.objectStore('nodeData').getAll();
            tx.oncomplete = () => {
              const active = new Map<string, number>();
              let orphans = 0;
              const ids = new Set((convs.result as { id: string }[]).map((c) => c.id));
              const nodes = (chunks.result as { nodes: string[] }[]).flatMap((chunk) => chunk.nodes.map((json) => JSON.parse(json) as { conversationId: string; active: boolean }));
              for (const n of nodes) {
                if (!ids.has(n.conversationId)) orphans++;
                if (n.active) active.set(n.conversationId, (active.get(n.conversationId) ?? 0) + 1);
              }
              const broken = (convs.result as { id: string; nodeCount: number }[])
                .filter((c) => (active.get(c.id) ?? 0) !== c.nodeCount)
                .map((c) => c.id);
              db.close();
              ok({ conversations: ids.size, broken, orphans });
            };
          };
        }),
    );
    expect(check.broken).toEqual([]);
    expect(check.orphans).toBe(0);
    // Partial: the import stopped before the end of the file.
    expect(check.conversations).toBeLessThan(written.conversations);
    const history = page.locator('[data-testid="import-history"] li').first();
    expect(await history.getAttribute('data-status')).toBe('cancelled');
  });
});
