/**
 * #/account in a real browser against a real Worker (`wrangler dev`, local D1, the local S3 server): the built PWA is
 * served with /api proxied to the Worker, as in production (same origin). Sign up, plan and usage, sign out (keeping
 * this device's copy), sign in, change password, delete account; at a phone's width and keyboard-usable.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { serveStatic, type StaticServer } from '../support/browser-server';
import { hasHorizontalOverflow, launchApp, type BrowserSession } from '../support/browser';
import { startLocalS3, type LocalS3 } from '../support/s3-server';
import { startLocalWorker, type LocalWorker } from '../support/sync-client';

const dist = resolve(import.meta.dirname, '..', '..', 'dist');
// The global setup builds dist/ and serves it; this file serves the same build with the API behind it.
inject('baseUrl');

const email = `account-e2e-${randomUUID()}@example.com`;
const firstPassword = 'first correct horse battery';
const secondPassword = 'second staple of the battery';

async function fill(page: Page, label: string | RegExp, value: string): Promise<void> {
  await page.getByLabel(label).fill(value);
}

describe('account page', () => {
  let s3: LocalS3;
  let worker: LocalWorker;
  let web: StaticServer;
  let app: BrowserSession;
  let appUrl: string;

  beforeAll(async () => {
    let workerUrl: string | null = null;
    web = await serveStatic(dist, { apiTarget: () => workerUrl });
    appUrl = web.url;
    s3 = await startLocalS3();
    // The app's origin is the static server's: cookie writes must come from it (worker/src/auth/csrf.ts).
    worker = await startLocalWorker({ ...s3.env, APP_ORIGIN: appUrl.replace(/\/$/, '') });
    workerUrl = worker.url;
    app = await launchApp({ viewport: { width: 390, height: 844 } });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await web?.close();
    await worker?.close();
    await s3?.close();
  });

  it('signs up, shows plan and usage, signs out keeping the vault, signs in, changes password and deletes the account', async () => {
    const { page } = app;
    await page.goto(`${appUrl}#/account`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).waitFor();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    // A too-short password is refused in the browser, with the sentence from the error vocabulary.
    await page.getByRole('button', { name: 'Create account' }).first().click();
    await fill(page, 'Email', email);
    await fill(page, /^Password/, 'short');
    await page.locator('form').getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').filter({ hasText: 'at least 10 characters' }).waitFor();

    // Sign up (keyboard only: Enter submits the form).
    await fill(page, /^Password/, firstPassword);
    await page.getByLabel(/^Password/).press('Enter');
    await page.getByText(`Account created. You are signed in as ${email}.`).waitFor();
    await page.getByTestId('account-plan').filter({ hasText: 'Free' }).waitFor();
    expect(await page.getByTestId('account-vault-usage').textContent()).toMatch(/0 B of 100(\.0)? MB/);
    expect(await page.getByTestId('account-messages').textContent()).toMatch(/today: 0 of 20/);
    expect(await hasHorizontalOverflow(page)).toBe(false);

    // Sign out, keeping this device's copy; reloading shows the signed-out page (the cookie is gone).
    await page.getByRole('button', { name: 'Sign out…' }).click();
    await page.getByRole('button', { name: 'Sign out, keep this device’s copy' }).click();
    await page.getByText('Signed out. Your vault stays on this device.').waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    // A wrong password is refused with a sentence; the right one signs in.
    await fill(page, 'Email', email);
    await fill(page, /^Password/, secondPassword);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'email and password do not match' }).waitFor();
    await fill(page, /^Password/, firstPassword);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`Signed in as ${email}.`).first().waitFor();

    // Change password; then the new one signs in and the old one does not.
    await fill(page, 'Current password', firstPassword);
    await fill(page, /^New password/, secondPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    await page.getByRole('button', { name: 'Sign out…' }).click();
    await page.getByRole('button', { name: 'Sign out, keep this device’s copy' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await fill(page, 'Email', email);
    await fill(page, /^Password/, firstPassword);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'email and password do not match' }).waitFor();
    await fill(page, /^Password/, secondPassword);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('account-email').waitFor();

    // Delete the account: the button stays disabled until the password and DELETE are typed.
    await page.getByRole('button', { name: 'Delete account…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete your account?' });
    const deleteButton = confirm.getByRole('button', { name: 'Delete account' });
    expect(await deleteButton.isDisabled()).toBe(true);
    await confirm.getByLabel('Your password').fill(secondPassword);
    await confirm.getByLabel('Type DELETE to confirm').fill('DELETE');
    await deleteButton.click();
    await page.getByText('Your account and everything synced to it were deleted.').waitFor();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    // The account is gone on the server: signing in again is refused.
    await fill(page, 'Email', email);
    await fill(page, /^Password/, secondPassword);
    await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'email and password do not match' }).waitFor();
    expect(app.errors.filter((e) => !/401|Unauthorized|the server responded with a status of 4\d\d/.test(e))).toEqual([]);
  });
});
