/**
 * Everyday polish in a real browser against the production build: settings opened straight from a link show what
 * was saved; navigation keeps scroll and focus.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { importThroughUi, launchApp, type BrowserSession } from '../support/browser';
import { generateExport } from '../support/generate-chatgpt';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server';

const baseUrl = inject('baseUrl');
const work = mkdtempSync(join(tmpdir(), 'cogzy-polish-e2e-'));
const AXE = resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** Runs axe-core (WCAG 2.x A/AA and best practices) on the page and returns the serious and critical violations. */
async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  });
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact ?? ''}, ${v.nodes.length} nodes): ${v.help}; first: ${JSON.stringify(v.nodes[0]?.target)} ${v.nodes[0]?.failureSummary ?? ''}`);
}

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

  it('every view has no serious or critical accessibility violations, in light and dark', async () => {
    const { page } = app;
    await page.goto(`${baseUrl}#/conversations`);
    const first = page.locator('a[href^="#/c/"]').first();
    await first.waitFor();
    const conversationHref = (await first.getAttribute('href')) ?? '';
    await page.goto(`${baseUrl}#/topics`);
    await page.getByTestId('topic-map').waitFor({ timeout: 60_000 });
    const views: [string, () => Promise<void>][] = [
      ['#/', () => page.getByRole('heading', { level: 1 }).first().waitFor()],
      ['#/search', () => page.locator('#search-input').waitFor()],
      ['#/search?q=the', () => page.locator('.result').first().waitFor()],
      ['#/conversations', () => page.locator('a[href^="#/c/"]').first().waitFor()],
      [conversationHref, () => page.locator('.exchange').first().waitFor()],
      ['#/timeline', () => page.getByRole('heading', { name: 'Timeline' }).waitFor()],
      ['#/topics', () => page.getByTestId('topic-map').waitFor({ timeout: 60_000 })],
      ['#/import', () => page.getByTestId('import-history').waitFor()],
      ['#/settings', () => page.getByTestId('embedding-status').waitFor()],
    ];
    const found: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme });
      for (const [hash, ready] of views) {
        await page.goto(`${baseUrl}${hash}`);
        await ready();
        for (const v of await seriousViolations(page)) found.push(`${theme} ${hash}: ${v}`);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(found).toEqual([]);
  });

  it('ran without page errors', () => {
    expect(app.errors).toEqual([]);
  });
});
