/**
 * Launches Debian's chromium through playwright-core with a fresh profile (so IndexedDB, the service worker and
 * storage start empty for every spec file), and helpers the specs share.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every page error and console error seen, for asserting the app ran cleanly. */
  readonly errors: string[];
  close(): Promise<void>;
}

export async function launchApp(options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {}): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'cogzy-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS,
    viewport: options.viewport ?? { width: 1280, height: 860 },
    colorScheme: options.colorScheme ?? 'light',
    serviceWorkers: 'allow',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where specs write screenshots (kept after the run so a person can look at them). */
export function screenshotDir(): string {
  const dir = process.env['E2E_SCREENSHOTS'] ?? join(tmpdir(), 'cogzy-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Waits until the page is controlled by the service worker (the shell and assets are then precached). */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.waitForFunction(
    async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return reg?.active?.state === 'activated';
    },
    undefined,
    { timeout: 30_000 },
  );
  // The first load is not controlled until a reload (the worker does not claim open pages mid-session).
  if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) await page.reload();
}

/** True when the document is wider than the viewport (something would scroll sideways on a phone). */
export async function hasHorizontalOverflow(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}
