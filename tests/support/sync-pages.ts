/**
 * Page model of the account and sync pages, as a person uses them: sign up or in, set up sync with a passphrase,
 * unlock it on another device, wait until the dashboard says "In sync", "Sync now", and search. Shared by the e2e
 * specs and the benchmarks that drive the built app, so each flow is written once.
 */
import type { Page } from 'playwright-core';

export interface Account {
  readonly email: string;
  readonly password: string;
}

/** Polls `read` until it returns `want`; the error names what was last seen. */
export async function pollFor(what: string, timeoutMs: number, read: () => Promise<string>, want: string, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = await read().catch((error: unknown) => `(${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
    if (last === want) return;
    if (Date.now() > deadline) throw new Error(`${what}: wanted "${want}" within ${Math.round(timeoutMs / 1000)} s, last saw "${last}"`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function signInThroughUi(page: Page, appUrl: string, account: Account, mode: 'signup' | 'signin', timeoutMs = 30_000): Promise<void> {
  await page.goto(`${appUrl}#/account`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: timeoutMs });
  if (mode === 'signup') await page.getByRole('button', { name: 'Create account' }).first().click();
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel(/^Password/).fill(account.password);
  await page.locator('form').getByRole('button', { name: mode === 'signup' ? 'Create account' : 'Sign in' }).click();
  await page.getByTestId('account-email').waitFor({ timeout: timeoutMs });
}

export async function openSyncPage(page: Page, appUrl: string): Promise<void> {
  await page.goto(`${appUrl}#/settings/sync`);
  await page.getByRole('heading', { name: 'Sync', exact: true }).waitFor();
}

/** First device: chooses the passphrase, confirms the warning, reads the recovery code shown once, continues. */
export async function setUpSyncThroughUi(page: Page, appUrl: string, passphrase: string): Promise<string> {
  await openSyncPage(page, appUrl);
  await page.getByLabel(/^Passphrase \(/).fill(passphrase);
  await page.getByLabel('The same passphrase again').fill(passphrase);
  await page.getByLabel(/I understand/).check();
  await page.getByRole('button', { name: 'Set up sync' }).click();
  const code = page.getByTestId('recovery-code');
  await code.waitFor({ timeout: 60_000 });
  const recoveryCode = (await code.textContent()) ?? '';
  await page.getByLabel('I saved my recovery code').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  return recoveryCode;
}

/** Another device: unlocks sync with the passphrase (the first pull then starts on its own). */
export async function unlockSyncThroughUi(page: Page, appUrl: string, passphrase: string, timeoutMs = 60_000): Promise<void> {
  await openSyncPage(page, appUrl);
  await page.getByRole('heading', { name: 'Unlock sync on this device' }).waitFor({ timeout: timeoutMs });
  await page.getByLabel('Vault passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByTestId('sync-state').waitFor({ timeout: timeoutMs * 2 });
}

/** What the dashboard shows as "state | pending changes", e.g. "In sync | 0". */
export async function syncStateShown(page: Page): Promise<string> {
  const read = (id: string): Promise<string> => page.getByTestId(id).textContent({ timeout: 1000 }).then((t) => t ?? '', () => '(none)');
  return `${await read('sync-state')} | ${await read('sync-pending')}`;
}

/** Waits until the dashboard says "In sync" with nothing waiting to upload; `onChange` hears every state shown. */
export async function waitInSyncShown(page: Page, timeoutMs = 60_000, onChange?: (state: string) => void): Promise<void> {
  let shown = '';
  await pollFor('the sync dashboard', timeoutMs, async () => {
    const state = await syncStateShown(page);
    if (state !== shown && onChange) onChange(state);
    shown = state;
    return state;
  }, 'In sync | 0');
}

/** Presses "Sync now" on the dashboard and waits for "Sync finished." and then "In sync"; a failure says what was shown. */
export async function syncNowThroughUi(page: Page, appUrl: string, timeoutMs = 60_000): Promise<void> {
  if (!page.url().includes('#/settings/sync')) await openSyncPage(page, appUrl);
  await page.getByRole('button', { name: 'Sync now' }).click();
  try {
    await page.getByText('Sync finished.').waitFor({ timeout: timeoutMs });
  } catch (error) {
    const lastError = await page.getByTestId('sync-last-error').textContent({ timeout: 1000 }).then((t) => t ?? '', () => '(none)');
    throw new Error(`"Sync now" did not finish: ${await syncStateShown(page)}, last error ${lastError}`, { cause: error });
  }
  await waitInSyncShown(page, timeoutMs);
}

/** Searches `query` from a fresh search page and counts the results whose card shows `query` (or `mustShow`). */
export async function searchHitsShown(page: Page, appUrl: string, query: string, options: { timeoutMs?: number; mustShow?: string } = {}): Promise<number> {
  const timeout = options.timeoutMs ?? 15_000;
  // Leave the search page first, so no result or "no results" of the previous query is still on screen.
  await page.goto(`${appUrl}#/timeline`);
  await page.getByRole('heading', { name: 'Timeline' }).waitFor({ timeout });
  await page.goto(`${appUrl}#/search?q=${encodeURIComponent(query)}`);
  const results = page.getByRole('listbox', { name: 'Search results' }).getByRole('option');
  await Promise.race([results.first().waitFor({ timeout }), page.getByTestId('no-results').waitFor({ timeout })]).catch(() => undefined);
  return results.filter({ hasText: options.mustShow ?? query }).count();
}
