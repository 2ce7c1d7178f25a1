/**
 * The app shell in a real browser against the production build: first visit, keyboard, phone layout, dark mode,
 * installability and offline start from the service worker.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { serveStatic } from '../support/browser-server';
import { hasHorizontalOverflow, launchApp, screenshotDir, waitForServiceWorker, type BrowserSession } from '../support/browser';

const baseUrl = inject('baseUrl');
const manifestSchema = z.object({
  name: z.string(),
  icons: z.array(z.object({ src: z.string(), sizes: z.string(), purpose: z.string().optional() })),
});
const shots = screenshotDir();

describe('app shell', () => {
  let app: BrowserSession;

  beforeAll(async () => {
    app = await launchApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('first visit shows the empty vault with a clear call to import', async () => {
    const { page } = app;
    await page.goto(baseUrl);
    await page.getByText('Drop your ChatGPT, Claude, Gemini, Grok, DeepSeek or Copilot export here').waitFor();
    expect(await page.getByRole('button', { name: 'Choose files…' }).isVisible()).toBe(true);
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const label of ['Search', 'Conversations', 'Timeline', 'Import', 'Settings']) {
      expect(await nav.getByRole('link', { name: label }).isVisible()).toBe(true);
    }
    await page.screenshot({ path: join(shots, 'empty-desktop-light.png'), fullPage: true });
  });

  it('the manifest makes the app installable (name, icons 192/512 and maskable)', async () => {
    const { page } = app;
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    expect(href).toBeTruthy();
    const manifest = manifestSchema.parse(await page.evaluate(async (url): Promise<unknown> => (await fetch(url)).json(), href ?? ''));
    expect(manifest.name).toBe('Cogzy Vault');
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    expect(manifest.icons.some((i) => i.purpose === 'maskable')).toBe(true);
    for (const icon of manifest.icons) {
      const status = await page.evaluate(async (src) => (await fetch(src)).status, new URL(icon.src, baseUrl).href);
      expect(status).toBe(200);
    }
  });

  it('"/" focuses the search box from another page, Esc clears it', async () => {
    const { page } = app;
    await page.goto(`${baseUrl}#/timeline`);
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await page.keyboard.press('/');
    const box = page.getByRole('combobox', { name: 'Search your conversations' });
    await box.waitFor();
    await expect.poll(() => box.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('hello');
    expect(await box.inputValue()).toBe('hello');
    // An empty vault says why nothing is found and where to go next.
    await page.getByTestId('no-results').filter({ hasText: 'import an export' }).waitFor();
    await page.keyboard.press('Escape');
    expect(await box.inputValue()).toBe('');
  });

  it('dark mode: the toggle switches theme and the choice survives a reload', async () => {
    const { page } = app;
    await page.goto(`${baseUrl}#/settings`);
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await background();
    await page.getByRole('button', { name: 'Switch to dark mode' }).click();
    await expect.poll(background).not.toBe(light);
    await page.reload();
    await page.getByRole('button', { name: 'Switch to light mode' }).waitFor();
    expect(await background()).not.toBe(light);
    await page.screenshot({ path: join(shots, 'settings-desktop-dark.png'), fullPage: true });
    await page.getByRole('button', { name: 'Switch to light mode' }).click();
    await expect.poll(background).toBe(light);
  });

  it('a theme chosen just before the app closed, its write not yet done, is written for the other devices at the next start', async () => {
    const { page } = app;
    await page.goto(`${baseUrl}#/settings`);
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    /** The synced setting as stored (what a sync pushes to the other devices), and the page's unsaved marker. */
    const stored = (): Promise<{ value: unknown; marker: string | null }> =>
      page.evaluate(
        () =>
          new Promise((resolve, reject) => {
            const open = indexedDB.open('cogzy-vault');
            open.onerror = () => reject(new Error(String(open.error)));
            open.onsuccess = () => {
              const get = open.result.transaction('syncRecords').objectStore('syncRecords').get('lww:setting:theme');
              get.onerror = () => reject(new Error(String(get.error)));
              get.onsuccess = () => {
                const row = get.result as { record?: { value?: unknown } } | undefined;
                open.result.close();
                resolve({ value: row?.record?.value ?? null, marker: localStorage.getItem('cogzy.theme.unsaved') });
              };
            };
          }),
      );
    expect((await stored()).value).not.toBe('dark');
    // What a click on "dark" leaves before its write to the vault (asynchronous) when the tab closes at once.
    await page.evaluate(() => {
      localStorage.setItem('cogzy.theme', 'dark');
      localStorage.setItem('cogzy.theme.unsaved', 'dark');
    });
    await page.reload();
    await page.getByRole('button', { name: 'Switch to light mode' }).waitFor();
    await expect.poll(stored).toEqual({ value: 'dark', marker: null });
    await page.getByRole('button', { name: 'Switch to light mode' }).click();
    await expect.poll(stored).toEqual({ value: 'light', marker: null });
  });

  it('a new version waits for the person: "A new version is ready" and Reload switches to it', async () => {
    const { page } = app;
    const dist = resolve(import.meta.dirname, '../../dist');
    const v1 = mkdtempSync(join(tmpdir(), 'cogzy-v1-'));
    const v2 = mkdtempSync(join(tmpdir(), 'cogzy-v2-'));
    cpSync(dist, v1, { recursive: true });
    cpSync(dist, v2, { recursive: true });
    // The next deploy: a changed index.html, and so a changed precache manifest in sw.js.
    const html = readFileSync(join(v2, 'index.html'), 'utf8').replace('<title>', '<meta name="cogzy-build" content="next" /><title>');
    writeFileSync(join(v2, 'index.html'), html);
    const sw = readFileSync(join(v2, 'sw.js'), 'utf8');
    const nextSw = sw.replace(/("?url"?\s*:\s*"index\.html"\s*,\s*"?revision"?\s*:\s*")[0-9a-f]+"/, '$1next-deploy"');
    expect(nextSw).not.toBe(sw);
    writeFileSync(join(v2, 'sw.js'), nextSw);
    const server = await serveStatic(v1);
    try {
      await page.goto(server.url);
      await waitForServiceWorker(page);
      await page.getByText('Drop your ChatGPT, Claude, Gemini, Grok, DeepSeek or Copilot export here').waitFor();
      server.setRoot(v2);
      await page.evaluate(async () => {
        await (await navigator.serviceWorker.getRegistration())?.update();
      });
      await page.getByText('A new version is ready.').waitFor({ timeout: 30_000 });
      // Nothing reloads by itself: the open tab keeps the version it started with until the person chooses.
      expect(await page.locator('meta[name="cogzy-build"]').count()).toBe(0);
      await page.getByRole('button', { name: 'Reload' }).click();
      await page.waitForFunction(() => document.querySelector('meta[name="cogzy-build"]') !== null, undefined, { timeout: 30_000 });
    } finally {
      await server.close();
      rmSync(v1, { recursive: true, force: true });
      rmSync(v2, { recursive: true, force: true });
    }
  });

  it('works offline after the first visit (served by the service worker)', async () => {
    const { page, context } = app;
    await page.goto(baseUrl);
    await waitForServiceWorker(page);
    await context.setOffline(true);
    try {
      await page.reload();
      await page.getByText('Drop your ChatGPT, Claude, Gemini, Grok, DeepSeek or Copilot export here').waitFor();
      expect(await page.getByRole('status').filter({ hasText: 'Offline' }).isVisible()).toBe(true);
      // A view that was never opened online still loads: its chunk was precached.
      await page.goto(`${baseUrl}#/conversations`);
      await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    } finally {
      await context.setOffline(false);
    }
  });
});

describe('offline from the first session', () => {
  it('says once that the app is saved on this device, then every view opens offline before any reload', async () => {
    const app = await launchApp();
    try {
      const { page, context } = app;
      await page.goto(baseUrl);
      await page.getByTestId('offline-ready').waitFor({ timeout: 30_000 });
      // Controlled in this very session: the views' chunks now come from the precache.
      expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
      await page.getByTestId('offline-ready').getByRole('button', { name: 'Got it' }).click();
      await context.setOffline(true);
      try {
        await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
        const nav = page.getByRole('navigation', { name: 'Main' });
        for (const [link, heading] of [
          ['Search', /^Search$/],
          ['Conversations', /^Conversations$/],
          ['Timeline', /^Timeline$/],
          ['Topics', /^Topics$/],
          ['Import', /^(Import|Welcome to Cogzy Vault)$/],
          ['Settings', /^Settings$/],
        ] as const) {
          await nav.getByRole('link', { name: link }).click();
          await page.getByRole('heading', { name: heading }).first().waitFor({ state: 'attached', timeout: 10_000 });
          expect(await page.getByText('Loading…').isVisible(), `${link} stuck loading`).toBe(false);
        }
        // Told once: a reload does not repeat it.
        await page.reload();
        await page.getByRole('heading', { name: 'Settings' }).waitFor();
        expect(await page.getByTestId('offline-ready').count()).toBe(0);
      } finally {
        await context.setOffline(false);
      }
    } finally {
      await app.close();
    }
  });

  it('believes what our own requests see over navigator.onLine: no answer is "Offline", a failing server is "Can’t reach the server"', async () => {
    const app = await launchApp({ serviceWorkers: 'block' });
    try {
      const { page } = app;
      // The browser keeps saying "online" throughout; only the answers of our origin change.
      let answer: 'none' | 'failing' | 'fine' = 'none';
      await page.route('**/api/health', (route) =>
        answer === 'none' ? route.abort('internetdisconnected') : route.fulfill(answer === 'failing' ? { status: 503, body: '{"ok":false}' } : { status: 200, body: '{"ok":true}' }),
      );
      await page.goto(baseUrl);
      expect(await page.evaluate(() => navigator.onLine)).toBe(true);
      const badge = page.getByRole('status').filter({ hasText: /Offline|reach the server/ });
      await expect.poll(async () => (await badge.count()) > 0 && (await badge.textContent()), { timeout: 10_000 }).toBe('Offline');
      answer = 'failing';
      await page.evaluate(() => window.dispatchEvent(new Event('focus')));
      await expect.poll(async () => (await badge.count()) > 0 && (await badge.textContent()), { timeout: 10_000 }).toBe('Can’t reach the server');
      answer = 'fine';
      await page.evaluate(() => window.dispatchEvent(new Event('focus')));
      await expect.poll(() => badge.count(), { timeout: 10_000 }).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('a view whose code cannot load says so and offers a retry that works once the file can be fetched', async () => {
    // No service worker here, so the page's own request for the view's chunk is what fails.
    const app = await launchApp({ serviceWorkers: 'block' });
    try {
      const { page } = app;
      let blocked = true;
      await page.route(/TimelineView[^/]*\.js$/, (route) => (blocked ? route.abort('internetdisconnected') : route.continue()));
      await page.goto(`${baseUrl}#/timeline`);
      const alert = page.getByRole('alert').filter({ hasText: 'could not load' });
      await alert.waitFor({ timeout: 15_000 });
      expect(await page.getByText('Loading…').count()).toBe(0);
      blocked = false;
      await page.getByRole('button', { name: 'Try again' }).click();
      await page.getByRole('heading', { name: 'Timeline' }).waitFor({ timeout: 15_000 });
      expect(await alert.count()).toBe(0);
    } finally {
      await app.close();
    }
  });
});

describe('phone and system dark mode', () => {
  let app: BrowserSession;

  beforeAll(async () => {
    app = await launchApp({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('follows the system dark theme and has no sideways scrolling on a 390 px phone', async () => {
    const { page } = app;
    for (const route of ['', '#/search', '#/conversations', '#/timeline', '#/settings']) {
      await page.goto(`${baseUrl}${route}`);
      await page.locator('main h1, main .dropzone').first().waitFor();
      expect(await hasHorizontalOverflow(page), `horizontal overflow on ${route || 'home'}`).toBe(false);
    }
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
    expect((r ?? 255) + (g ?? 255) + (b ?? 255)).toBeLessThan(150);
    await page.goto(baseUrl);
    await page.getByText('Drop your ChatGPT, Claude, Gemini, Grok, DeepSeek or Copilot export here').waitFor();
    await page.screenshot({ path: join(shots, 'empty-phone-dark.png'), fullPage: true });
    await page.goto(`${baseUrl}#/settings`);
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.getByTestId('storage-usage').waitFor();
    await page.screenshot({ path: join(shots, 'settings-phone-dark.png'), fullPage: true });
  });
});
