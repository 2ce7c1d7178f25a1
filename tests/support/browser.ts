/**
 * Launches Debian's chromium through playwright-core with a fresh profile (so IndexedDB, the service worker and
 * storage start empty for every spec file), and helpers the specs share. Benches launch through launchChromium too.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Flags every headless run here uses (specs and benches): no sandbox (root in a container), no GPU, no network chatter. */
export const CHROMIUM_FLAGS: readonly string[] = [
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

type PersistentContextOptions = NonNullable<Parameters<typeof chromium.launchPersistentContext>[1]>;

/**
 * Debian's chromium on a persistent profile folder, with CHROMIUM_FLAGS plus `extraArgs`; returns its first page.
 * Shared by the specs (launchApp) and the benches, so both run the same browser the same way.
 */
export async function launchChromium(
  profile: string,
  options: Omit<PersistentContextOptions, 'executablePath' | 'headless' | 'args'> & { extraArgs?: readonly string[] } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const { extraArgs = [], ...contextOptions } = options;
  const context = await chromium.launchPersistentContext(profile, {
    ...contextOptions,
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraArgs],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

export async function launchApp(
  options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark'; serviceWorkers?: 'allow' | 'block' } = {},
): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'cogzy-chromium-'));
  const { context, page } = await launchChromium(profile, {
    viewport: options.viewport ?? { width: 1280, height: 860 },
    colorScheme: options.colorScheme ?? 'light',
    serviceWorkers: options.serviceWorkers ?? 'allow',
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium's own line for a failed load does not say which: the address is added, so a spec can tell the
    // failures it provokes (an offline window) from the app's.
    const text = m.text();
    errors.push(`console: ${text}${text.startsWith('Failed to load resource') && m.location().url ? ` (${m.location().url})` : ''}`);
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
  await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    const worker = registration.active;
    if (worker && worker.state !== 'activated') {
      await new Promise<void>((ok) => worker.addEventListener('statechange', () => worker.state === 'activated' && ok()));
    }
  });
  // The first install claims the open page (clientsClaim), so no reload is needed for it to be controlled.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
}

/** True when the document is wider than the viewport (something would scroll sideways on a phone). */
export async function hasHorizontalOverflow(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}

export interface ShownImport {
  readonly importId: number;
  readonly status: string;
  /** The sentence shown for this import when it finished. */
  readonly sentence: string;
  readonly created: number;
  readonly deduplicated: number;
  readonly skipped: number;
  readonly conversations: number;
}

const toNumber = (text: string | null): number => Number((text ?? '').replace(/[^\d]/g, ''));

/**
 * Page model of the Import page: picks files with the file input (as a person does with "Choose files…"), waits for
 * the run to finish and reads what the page shows for each file (result sentence and history counts).
 */
export async function importThroughUi(page: Page, paths: readonly string[], options: { timeoutMs?: number } = {}): Promise<ShownImport[]> {
  if (!page.url().includes('#/import')) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import' }).click();
  }
  await page.getByTestId('file-input').setInputFiles([...paths]);
  const result = page.getByTestId('import-result');
  await result.locator('[data-import-id], .notice.error').first().waitFor({ timeout: options.timeoutMs ?? 60_000 });
  const notices = await result.locator('[data-import-id]').all();
  const shown: ShownImport[] = [];
  for (const notice of notices) {
    const importId = Number(await notice.getAttribute('data-import-id'));
    const row = page.locator(`[data-testid="import-history"] li[data-import-id="${importId}"]`);
    await row.waitFor();
    const count = async (id: string): Promise<number> => toNumber(await row.getByTestId(id).textContent());
    shown.push({
      importId,
      status: (await notice.getAttribute('data-status')) ?? '',
      sentence: (await notice.textContent()) ?? '',
      created: await count('count-created'),
      deduplicated: await count('count-deduplicated'),
      skipped: await count('count-skipped'),
      conversations: await count('count-conversations'),
    });
  }
  return shown;
}

/** The vault's size as the Settings page states it ("Your vault holds N conversations and M exchanges"). */
export async function vaultSizeShown(page: Page): Promise<{ conversations: number; nodes: number }> {
  await page.goto(new URL('#/settings', page.url()).href);
  const text = page.getByText(/Your vault holds/);
  await text.waitFor();
  const m = /holds ([\d,.\s]+) conversations? and ([\d,.\s]+) exchanges?/.exec((await text.textContent()) ?? '');
  return { conversations: toNumber(m?.[1] ?? null), nodes: toNumber(m?.[2] ?? null) };
}

/** Opens a conversation in the reader at `appUrl` and saves `text` as its note (C32), waiting for "Saved". */
export async function saveNoteInReader(page: Page, appUrl: string, conversationId: string, text: string): Promise<void> {
  await page.goto(`${appUrl}#/c/${encodeURIComponent(conversationId)}`);
  const note = page.locator('#note-input');
  await note.waitFor();
  await note.fill(text);
  await page.getByRole('button', { name: 'Save note' }).click();
  await page.locator('.reader-note').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
}
