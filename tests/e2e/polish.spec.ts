/**
 * Everyday polish in a real browser against the production build: settings opened straight from a link show what
 * was saved; navigation keeps scroll and focus.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { importThroughUi, launchApp, type BrowserSession } from '../support/browser';
import { generateExport } from '../support/generate-chatgpt';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server';

const baseUrl = inject('baseUrl');
const work = mkdtempSync(join(tmpdir(), 'cogzy-polish-e2e-'));

describe('everyday polish', () => {
  let app: BrowserSession;
  let server: OpenAiServer;

  beforeAll(async () => {
    server = await startOpenAiServer();
    app = await launchApp();
    await app.page.goto(baseUrl);
    const file = join(work, 'conversations.json');
    writeFileSync(file, generateExport({ seed: 14, conversations: 60 }).json);
    const [shown] = await importThroughUi(app.page, [file]);
    expect(shown?.status).toBe('complete');
  });

  afterAll(async () => {
    await app.close();
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('settings opened directly in a new tab show the saved embedding choice, and saving keeps it', async () => {
    const { page, context } = app;
    await page.goto(`${baseUrl}#/settings`);
    await page.getByLabel('An OpenAI-compatible service').check();
    await page.getByLabel('Service URL').fill(server.url);
    await page.getByLabel('Model', { exact: true }).fill('stand-in-embed');
    await page.getByRole('button', { name: 'Save and start' }).click();
    await expect.poll(async () => (await page.getByTestId('embedding-status').textContent()) ?? '', { timeout: 60_000 }).toContain('remote service');

    for (let round = 0; round < 2; round++) {
      const tab = await context.newPage();
      try {
        await tab.goto(`${baseUrl}#/settings`);
        await tab.getByRole('button', { name: 'Save and start' }).waitFor();
        expect(await tab.getByLabel('An OpenAI-compatible service').isChecked()).toBe(true);
        expect(await tab.getByLabel('Off', { exact: true }).isChecked()).toBe(false);
        expect(await tab.getByLabel('Service URL').inputValue()).toBe(server.url);
        // Saving from the freshly opened tab saves what it shows, not Off.
        await tab.getByRole('button', { name: 'Save and start' }).click();
        await expect.poll(async () => (await tab.getByTestId('embedding-status').textContent()) ?? '', { timeout: 60_000 }).toContain('remote service');
      } finally {
        await tab.close();
      }
    }
  });

  it('ran without page errors', () => {
    expect(app.errors).toEqual([]);
  });
});
