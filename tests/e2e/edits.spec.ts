/**
 * What a person writes, in chromium against the production build (SPEC C30-C32): star, rename and tags in the
 * reader, shown in the list, its filters and search; a note; memories on the Ask page (including ones saved before
 * sync, moved once); and the conflict queue. A conflict needs a second device: its note version is made in node by
 * the sync engine's own editNote on an in-memory device that saw this browser's note, then stored in the browser's
 * vault the way a pull stores it (recordKey/ownerKeys rows in syncRecords).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ownerKeys, recordKey, syncRecordSchema, type SyncRecord } from '../../shared/sync/records';
import { MemoryStore } from '../../shared/sync/testing/memory-store';
import { editNote, mergeRecord } from '../../shared/sync/vault-ops';
import { seriousViolations } from '../support/axe';
import { oneExchangeConversation } from '../support/generate-chatgpt';
import { hasHorizontalOverflow, importThroughUi, launchApp, saveNoteInReader, screenshotDir, type BrowserSession } from '../support/browser';

const baseUrl = inject('baseUrl');
const work = mkdtempSync(join(tmpdir(), 'cogzy-edits-e2e-'));
const shots = screenshotDir();
const BREAD = 'chatgpt:c-bread';
const BIKE = 'chatgpt:c-bike';

function chatgptExport(): string {
  const convo = oneExchangeConversation;
  return JSON.stringify([
    convo('c-bread', 'Kneading sourdough', 'How long should I knead sourdough?', 'Knead sourdough for about ten minutes, then let it rest.', 1_700_000_000),
    convo('c-bike', 'Bicycle chain noise', 'Why does my bicycle chain squeak?', 'A squeaking bicycle chain is usually dry. Clean it and apply chain lube.', 1_700_100_000),
  ]);
}

/** Rows of the browser vault's syncRecords whose key starts with `prefix`, read with IndexedDB itself. */
async function storedRecords(page: Page, prefix: string): Promise<SyncRecord[]> {
  const rows = await page.evaluate(async (start) => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const open = indexedDB.open('cogzy-vault');
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(new Error(`opening the vault failed: ${String(open.error)}`));
    });
    try {
      return await new Promise<unknown[]>((ok, fail) => {
        const request = db.transaction('syncRecords').objectStore('syncRecords').getAll(IDBKeyRange.bound(start, `${start}\uffff`));
        request.onsuccess = () => ok((request.result as { record: unknown }[]).map((r) => r.record));
        request.onerror = () => fail(new Error(`reading failed: ${String(request.error)}`));
      });
    } finally {
      db.close();
    }
  }, prefix);
  return rows.map((row) => syncRecordSchema.parse(row));
}

/** Stores a record in the browser's vault as a pull's merge does (DexieStore: key, owners, record). */
async function storeAsPulled(page: Page, record: SyncRecord): Promise<void> {
  // As JSON: the record's type is too deep for page.evaluate's argument typing, and the row is plain data anyway.
  const row = JSON.stringify({ key: recordKey(record), owners: ownerKeys(record), record });
  await page.evaluate(async (json) => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const open = indexedDB.open('cogzy-vault');
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(new Error(`opening the vault failed: ${String(open.error)}`));
    });
    try {
      await new Promise<void>((ok, fail) => {
        const tx = db.transaction('syncRecords', 'readwrite');
        tx.objectStore('syncRecords').put(JSON.parse(json));
        tx.oncomplete = () => ok();
        tx.onerror = () => fail(new Error(`writing failed: ${String(tx.error)}`));
      });
    } finally {
      db.close();
    }
  }, row);
}

/**
 * Another device saw the note as it is now and changed it to `theirs`; meanwhile this browser changes it to `mine`.
 * The other device's version is made by the engine's editNote in node and arrives as a pull would store it.
 */
async function makeConflict(page: Page, conversationId: string, mine: string, theirs: string): Promise<void> {
  const phone = new MemoryStore('phone');
  const ctx = { store: phone, clock: { now: () => Date.now() }, deviceId: 'phone' };
  const seen = await storedRecords(page, `note:${conversationId}|`);
  await phone.transaction(async (tx) => {
    for (const record of seen) await mergeRecord(tx, record);
  });
  await editNote(ctx, conversationId, theirs);
  const seenKeys = new Set(seen.map(recordKey));
  const theirVersion = (await phone.allRecords()).find((r) => r.type === 'note' && !seenKeys.has(recordKey(r)));
  expect(theirVersion).toBeDefined();
  await saveNoteInReader(page, baseUrl, conversationId, mine);
  if (theirVersion) await storeAsPulled(page, theirVersion);
}

/** No serious or critical axe violation on the page as it is, in light and in dark. */
async function expectAccessible(page: Page): Promise<void> {
  const found: string[] = [];
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    for (const v of await seriousViolations(page)) found.push(`${theme}: ${v}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  expect(found).toEqual([]);
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('personal edits in the browser', () => {
  let app: BrowserSession;

  beforeAll(async () => {
    app = await launchApp();
    await app.page.goto(baseUrl);
    const file = join(work, 'conversations.json');
    writeFileSync(file, chatgptExport());
    const [shown] = await importThroughUi(app.page, [file]);
    expect(shown?.status).toBe('complete');
  });

  afterAll(async () => {
    await app.close();
  });

  it('C30: star, rename and tags in the reader show in the list, its filters and search, and survive a reload', async () => {
    const { page } = app;
    await page.goto(`${baseUrl}#/c/${encodeURIComponent(BREAD)}`);
    await page.getByRole('heading', { level: 1, name: 'Kneading sourdough' }).waitFor();

    const star = page.getByRole('button', { name: 'Star' });
    await star.click();
    await page.locator('.star-toggle[aria-pressed="true"]').waitFor();
    expect(await page.locator('.star-toggle').textContent()).toContain('Starred');

    // Rename by keyboard: Enter saves; Escape on a second try cancels and leaves the title alone.
    await page.getByRole('button', { name: 'Rename' }).click();
    const title = page.getByLabel('New title');
    expect(await title.evaluate((el) => el === document.activeElement)).toBe(true);
    await title.fill('My bread notes');
    await title.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'My bread notes' }).waitFor();
    await page.getByText('Imported title: Kneading sourdough').waitFor();
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('New title').fill('Not this');
    await page.getByLabel('New title').press('Escape');
    await page.getByRole('button', { name: 'Rename' }).waitFor();
    expect(page.url()).toContain('#/c/');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('My bread notes');

    const tagInput = page.getByPlaceholder('Add a tag');
    await tagInput.fill('baking');
    await tagInput.press('Enter');
    await page.getByRole('list', { name: 'Tags' }).getByRole('link', { name: 'baking' }).waitFor();
    await tagInput.fill('recipes');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await page.getByRole('button', { name: 'Remove tag recipes' }).click();
    await page.getByRole('button', { name: 'Remove tag recipes' }).waitFor({ state: 'detached' });
    expect(await page.getByRole('list', { name: 'Tags' }).getByRole('link').allTextContents()).toEqual(['baking']);

    await saveNoteInReader(page, baseUrl, BREAD, 'Proof overnight');

    // Everything is still there after a reload (stored, not only on screen).
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'My bread notes' }).waitFor();
    await page.locator('.star-toggle[aria-pressed="true"]').waitFor();
    expect(await page.locator('#note-input').inputValue()).toBe('Proof overnight');
    await expectAccessible(page);
    await page.screenshot({ path: join(shots, 'edits-reader.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await hasHorizontalOverflow(page)).toBe(false);
    await page.setViewportSize({ width: 1280, height: 860 });

    await page.goto(`${baseUrl}#/conversations`);
    const row = page.locator('.conv-list li').filter({ hasText: 'My bread notes' });
    await row.waitFor();
    expect(await row.getByRole('img', { name: 'Starred' }).count()).toBe(1);
    expect(await row.locator('.tag-chip').allTextContents()).toEqual(['baking']);
    expect(await page.locator('.conv-list li').filter({ hasText: 'Kneading sourdough' }).count()).toBe(0);
    await expectAccessible(page);
    await page.screenshot({ path: join(shots, 'edits-list.png') });
    await page.getByLabel('Starred only').check();
    await page.waitForFunction(() => document.querySelectorAll('.conv-list li').length === 1);
    expect(await page.locator('.conv-list .conv-title').allTextContents()).toEqual([expect.stringContaining('My bread notes')]);
    await page.getByLabel('Starred only').uncheck();
    await page.waitForFunction(() => document.querySelectorAll('.conv-list li').length === 2);
    await page.getByLabel('Tag').selectOption('baking');
    await page.waitForFunction(() => document.querySelectorAll('.conv-list li').length === 1);
    expect(page.url()).toContain('tag=baking');

    await page.goto(`${baseUrl}#/search?q=knead`);
    await page.locator('.result-title').filter({ hasText: 'My bread notes' }).first().waitFor();
    // The renamed title is searchable: "bread" is in no exchange, only in the new title; the imported title's
    // "kneading" (the exchange says "knead") finds nothing any more.
    await page.goto(`${baseUrl}#/search?q=bread%20`);
    await page.locator('.result-title').filter({ hasText: 'My bread notes' }).first().waitFor();
    expect(await page.locator('.result-title').allTextContents()).toEqual([expect.stringContaining('My bread notes')]);
    await page.goto(`${baseUrl}#/search?q=kneading%20`);
    await page.getByText('No exchange matches').first().waitFor();

    // Back to the imported title.
    await page.goto(`${baseUrl}#/c/${encodeURIComponent(BREAD)}`);
    await page.getByRole('button', { name: 'Use the imported title' }).click();
    await page.getByRole('heading', { level: 1, name: 'Kneading sourdough' }).waitFor();
    expect(await page.getByText('Imported title:').count()).toBe(0);
  });

  it('C31: memories saved before sync move into synced memories once; add and delete from the Ask page by keyboard', async () => {
    const { page } = app;
    // A vault from before sync: a row in the v3 memories table, as the old Ask page saved it.
    await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((ok, fail) => {
        const open = indexedDB.open('cogzy-vault');
        open.onsuccess = () => ok(open.result);
        open.onerror = () => fail(new Error(`opening the vault failed: ${String(open.error)}`));
      });
      await new Promise<void>((ok, fail) => {
        const tx = db.transaction('memories', 'readwrite');
        tx.objectStore('memories').put({ id: 'legacy-1', text: 'I prefer metric units', source: null, createdAt: 1, updatedAt: 1 });
        tx.oncomplete = () => ok();
        tx.onerror = () => fail(new Error(`writing failed: ${String(tx.error)}`));
      });
      db.close();
    });
    await page.goto(`${baseUrl}#/ask`);
    await page.reload();
    const list = page.getByTestId('memory-list');
    await list.getByRole('textbox', { name: 'Memory' }).first().waitFor();
    expect(await list.getByRole('textbox', { name: 'Memory' }).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(['I prefer metric units']);
    expect(await storedRecords(page, 'memory:')).toEqual([expect.objectContaining({ type: 'memory', text: 'I prefer metric units' })]);

    await page.getByRole('button', { name: 'Add a memory' }).click();
    const input = page.getByLabel('Remember');
    expect(await input.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('I bake bread on Sundays');
    await page.keyboard.press('Enter');
    await list.getByRole('textbox', { name: 'Memory' }).nth(1).waitFor();
    expect(await list.getByRole('textbox', { name: 'Memory' }).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual([
      'I bake bread on Sundays',
      'I prefer metric units',
    ]);

    const remove = page.getByRole('button', { name: 'Delete memory: I bake bread on Sundays' });
    await remove.focus();
    await page.keyboard.press('Enter');
    await remove.waitFor({ state: 'detached' });
    expect((await storedRecords(page, 'memory:')).map((r) => (r.type === 'memory' ? r.text : ''))).toEqual(['I prefer metric units']);

    // The deleted text stays deleted (on every device): said, not silently ignored.
    await page.getByRole('button', { name: 'Add a memory' }).click();
    expect(await input.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('i bake bread on sundays');
    await page.keyboard.press('Enter');
    await page.getByText('You deleted this memory before').waitFor();
  });

  it('C32: a note changed on two devices is flagged in the reader and resolved in the conflict queue (keep both, mine, theirs)', async () => {
    const { page } = app;
    await makeConflict(page, BREAD, 'Proof overnight in the fridge', 'Proof for two hours');
    await page.reload();
    await page.getByTestId('note-conflict').waitFor();
    expect(await page.locator('#note-input').getAttribute('readonly')).not.toBeNull();
    expect(await page.getByRole('button', { name: 'Save note' }).count()).toBe(0);
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Resolve it in the conflict queue' }).click();

    const card = page.getByTestId('conflict');
    await card.waitFor();
    expect(await card.count()).toBe(1);
    expect(await card.getByRole('heading', { level: 2 }).textContent()).toBe('Note on Kneading sourdough');
    const yours = card.getByRole('region', { name: 'Yours (this device)' });
    const theirs = card.getByRole('region', { name: 'Theirs (another device)' });
    expect(await yours.locator('pre').textContent()).toBe('Proof overnight in the fridge');
    expect(await theirs.locator('pre').textContent()).toBe('Proof for two hours');
    await expectAccessible(page);
    await page.screenshot({ path: join(shots, 'edits-conflict.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await hasHorizontalOverflow(page)).toBe(false);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(shots, 'edits-conflict-phone-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 860 });

    await card.getByRole('button', { name: 'Keep both' }).click();
    await page.getByTestId('no-conflicts').waitFor();
    await page.goto(`${baseUrl}#/c/${encodeURIComponent(BREAD)}`);
    await page.locator('#note-input').waitFor();
    expect(await page.getByTestId('note-conflict').count()).toBe(0);
    expect(await page.locator('#note-input').inputValue()).toBe('Proof overnight in the fridge\n\n-------- the other version, kept too --------\n\nProof for two hours');

    // Keep theirs, then keep mine, on the other conversation.
    await makeConflict(page, BIKE, 'Use wax lube', 'Use wet lube');
    await page.goto(`${baseUrl}#/conflicts`);
    await page.getByTestId('conflict').getByRole('button', { name: 'Keep theirs' }).click();
    await page.getByTestId('no-conflicts').waitFor();
    await page.goto(`${baseUrl}#/c/${encodeURIComponent(BIKE)}`);
    await page.locator('#note-input').waitFor();
    expect(await page.locator('#note-input').inputValue()).toBe('Use wet lube');

    await makeConflict(page, BIKE, 'Use dry lube', 'Use no lube');
    await page.goto(`${baseUrl}#/settings`);
    await page.getByTestId('conflict-count').filter({ hasText: '1 note changed on two devices' }).waitFor();
    await page.getByRole('link', { name: 'Open the conflict queue' }).click();
    await page.getByTestId('conflict').getByRole('button', { name: 'Keep mine' }).click();
    await page.getByTestId('no-conflicts').waitFor();
    await page.goto(`${baseUrl}#/c/${encodeURIComponent(BIKE)}`);
    await page.locator('#note-input').waitFor();
    expect(await page.locator('#note-input').inputValue()).toBe('Use dry lube');
  });

  it('ran without page errors', () => {
    expect(app.errors).toEqual([]);
  });
});

