/**
 * Ask your vault end to end in chromium: the production build served with /api proxied to `wrangler dev`, whose
 * model is the local OpenAI-compatible stand-in and whose billing is the local Stripe stand-in (signed webhooks back
 * to the Worker). The account is made through the API from the page (the account UI is another feature).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ERROR_MESSAGES } from '../../shared/errors';
import { importThroughUi, launchApp, type BrowserSession } from '../support/browser';
import { oneExchangeConversation } from '../support/generate-chatgpt';
import { serveStatic, type StaticServer } from '../support/browser-server';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server';
import { startStripeServer, type StripeServer } from '../support/stripe-server';
import { startLocalWorker, type LocalWorker } from '../support/sync-client';

const dist = resolve(import.meta.dirname, '../../dist');
const work = mkdtempSync(join(tmpdir(), 'cogzy-ask-'));

/** A small ChatGPT export with one distinctive exchange per conversation. */
function chatgptExport(): string {
  const convo = oneExchangeConversation;
  return JSON.stringify([
    convo('c-sourdough', 'Sourdough starter care', 'How often should I feed my sourdough starter?', 'Feed your sourdough starter once a day with equal weights of flour and water. Keep it warm.', 1_700_000_000),
    convo('c-bike', 'Bicycle chain noise', 'Why does my bicycle chain squeak?', 'A squeaking bicycle chain is usually dry. Clean it and apply chain lube.', 1_700_100_000),
  ]);
}

let model: OpenAiServer;
let stripe: StripeServer;
let worker: LocalWorker;
let site: StaticServer;
let session: BrowserSession;
let page: Page;
let workerUrl: string | null = null;

beforeAll(async () => {
  model = await startOpenAiServer();
  const secrets = { secretKey: `sk_test_${randomBytes(8).toString('hex')}`, webhookSecret: `whsec_${randomBytes(12).toString('hex')}` };
  stripe = await startStripeServer({ ...secrets, webhookUrl: null });
  site = await serveStatic(dist, { apiTarget: () => workerUrl });
  const origin = site.url.replace(/\/$/, '');
  worker = await startLocalWorker({
    APP_ORIGIN: origin,
    CHAT_API_BASE: `${model.url}/v1`,
    CHAT_API_KEY: 'sk-e2e',
    CHAT_MODEL: 'stand-in-chat',
    STRIPE_API_BASE: stripe.url,
    STRIPE_SECRET_KEY: secrets.secretKey,
    STRIPE_WEBHOOK_SECRET: secrets.webhookSecret,
  });
  workerUrl = worker.url;
  stripe.setWebhookUrl(`${worker.url}/api/webhooks/billing`);
  session = await launchApp();
  page = session.page;
  await page.goto(site.url);
  const file = join(work, 'conversations.json');
  writeFileSync(file, chatgptExport());
  const [shown] = await importThroughUi(page, [file]);
  expect(shown?.created).toBe(2);
  // Signed in through the app's own account page, as a person would (the login secret is derived in the page).
  await page.goto(new URL('#/account', site.url).href);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByRole('button', { name: 'Create account' }).first().click();
  const email = `ask-${Date.now()}@example.com`;
  await page.getByLabel('Email').fill(email);
  await page.getByLabel(/^Password/).fill('correct horse battery staple');
  await page.locator('form').getByRole('button', { name: 'Create account' }).click();
  await page.getByText(`Account created. You are signed in as ${email}.`).waitFor({ timeout: 60_000 });
}, 240_000);

afterAll(async () => {
  await session?.close();
  await Promise.all([worker?.close(), site?.close(), stripe?.close(), model?.close()]);
  rmSync(work, { recursive: true, force: true });
});

/** Opens a fresh #/ask (through another page, so the view mounts anew with an empty chat). */
async function openAsk(): Promise<void> {
  await page.goto(new URL('#/settings', site.url).href);
  await page.getByRole('heading', { name: 'Settings' }).first().waitFor();
  await page.goto(new URL('#/ask', site.url).href);
  await page.getByRole('heading', { name: 'Ask your vault' }).waitFor();
}

async function chooseMode(label: RegExp): Promise<void> {
  const details = page.locator('details.ask-mode');
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  await details.getByRole('radio', { name: label }).check();
}

/** Types a question, asks, confirms the preview when there is one, and waits until the answer settles. */
async function ask(question: string, options: { preview?: boolean } = {}): Promise<void> {
  const before = await page.locator('.ask-turn').count();
  await page.locator('#ask-input').fill(question);
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  if (options.preview !== false) {
    const preview = page.getByRole('region', { name: 'What will be sent' });
    await preview.waitFor();
    const gotIt = preview.getByRole('button', { name: 'Got it' });
    if (await gotIt.isVisible()) await gotIt.click();
    await preview.getByRole('button', { name: 'Send' }).click();
  }
  await page.locator(`.ask-turn:nth-child(${before + 1}), .ask-limit`).first().waitFor();
  if (await page.locator('.ask-limit').isVisible()) throw new Error(`refused: ${(await page.locator('.ask-limit').textContent()) ?? ''}`);
  const turn = page.locator(`.ask-turn:nth-child(${before + 1})`);
  await turn.and(page.locator('[data-status="done"], [data-status="error"], [data-status="stopped"]')).waitFor();
  if ((await turn.getAttribute('data-status')) === 'error') throw new Error(`answer failed: ${(await turn.textContent()) ?? ''}`);
}

const usageLine = () => page.getByTestId('ask-usage');
const usedToday = async (): Promise<number> => (await page.evaluate(async () => (await (await fetch('/api/usage')).json()) as { messages: { used: number } })).messages.used;

describe('ask your vault', () => {
  it('offline mode answers from excerpts with citations that open the right exchange', async () => {
    await openAsk();
    await chooseMode(/No model/);
    await ask('sourdough starter feed', { preview: false });
    const answer = page.getByTestId('answer').last();
    await expect.poll(() => answer.textContent()).toContain('No model was used');
    expect(await answer.textContent()).toContain('Feed your sourdough starter once a day');
    await answer.getByRole('link', { name: '[1]' }).click();
    await page.waitForURL(/#\/c\/chatgpt%3Ac-sourdough\?node=/);
    const highlighted = page.locator('[aria-current="location"]');
    await highlighted.waitFor();
    expect(await highlighted.textContent()).toContain('How often should I feed my sourdough starter?');
  });

  it('Cogzy cloud: preview of what is sent, streamed answer quoting the context, usage counted, chat saved and searchable', async () => {
    await openAsk();
    await chooseMode(/Cogzy cloud/);
    await page.locator('#ask-input').fill('What did I learn about my bicycle chain?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    const preview = page.getByRole('region', { name: 'What will be sent' });
    await preview.getByText('What goes where.').waitFor();
    await preview.getByRole('button', { name: 'Got it' }).click();
    await expect.poll(() => preview.locator('.ask-excerpts li').count()).toBeGreaterThanOrEqual(1);
    expect(await preview.textContent()).toContain('Bicycle chain noise');
    await preview.getByRole('button', { name: 'Send' }).click();
    const turn = page.locator('.ask-turn').last();
    await turn.and(page.locator('[data-status="done"]')).waitFor();
    const text = (await turn.getByTestId('answer').textContent()) ?? '';
    expect(text).toContain('"Q: Why does my bicycle chain squeak? A: A squeaking bicycle chain is usually dry." [1]');
    expect(await turn.getByRole('link', { name: '[1]' }).first().getAttribute('href')).toMatch(/^#\/c\/chatgpt%3Ac-bike\?node=[0-9a-f]{64}$/);
    await expect.poll(() => usageLine().textContent()).toMatch(/^1 of 20 messages used today · resets at \d{1,2}:\d{2}/);
    // The chat is a Cogzy conversation now: search finds it.
    await page.goto(new URL('#/search?q=bicycle%20learn', site.url).href);
    await page.getByText('Cogzy').first().waitFor();
  });

  it('stop mid-stream keeps the partial answer', async () => {
    await openAsk();
    model.configure({ tokenDelayMs: 250 });
    try {
      await page.locator('#ask-input').fill('Tell me about sourdough');
      await page.getByRole('button', { name: 'Ask', exact: true }).click();
      await page.getByRole('region', { name: 'What will be sent' }).getByRole('button', { name: 'Send' }).click();
      const turn = page.locator('.ask-turn').last();
      await expect.poll(async () => ((await turn.getByTestId('answer').textContent()) ?? '').length).toBeGreaterThan(0);
      await turn.getByRole('button', { name: 'Stop' }).click();
      await turn.and(page.locator('[data-status="stopped"]')).waitFor();
      expect(await turn.getByText('Stopped.').isVisible()).toBe(true);
      expect(await turn.getByTestId('answer').textContent()).not.toContain('Local stand-in model');
    } finally {
      model.configure({ tokenDelayMs: 0 });
    }
  });

  it('the free plan: the 21st message is refused with an upgrade path and the draft kept; upgrading makes it unlimited; cancelling goes back to 20', async () => {
    await openAsk();
    const used = await usedToday();
    for (let i = used; i < 20; i++) await ask(`question number ${i} about sourdough`);
    await expect.poll(() => usageLine().textContent()).toMatch(/^20 of 20/);
    // The header says the same on every page, with the local reset time (UTC midnight), and links to Ask.
    const badge = page.getByTestId('usage-badge');
    await expect.poll(() => badge.textContent()).toMatch(/20 of 20 messages · resets \d{1,2}:\d{2}/);
    expect(await badge.getAttribute('href')).toBe('#/ask');
    await page.locator('#ask-input').fill('the twenty-first question');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await page.getByRole('region', { name: 'What will be sent' }).getByRole('button', { name: 'Send' }).click();
    const limit = page.locator('.ask-limit');
    await limit.waitFor();
    expect(await limit.textContent()).toContain(ERROR_MESSAGES.QUOTA_EXCEEDED);
    expect(await page.locator('#ask-input').inputValue()).toBe('the twenty-first question');

    await limit.getByRole('button', { name: 'Upgrade to Premium' }).click();
    await page.waitForURL(/\/pay\/cs_test_/);
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.waitForURL(/#\/ask\?billing=success/);
    await expect.poll(() => usageLine().textContent()).toMatch(/^Premium: unlimited/);
    // Unlimited: nothing to count in the header.
    await expect.poll(() => badge.count()).toBe(0);
    await ask('the twenty-first question');
    expect(await page.locator('.ask-turn').last().getAttribute('data-status')).toBe('done');

    await page.goto(new URL('#/settings', site.url).href);
    await page.getByRole('button', { name: 'Manage subscription' }).click();
    await page.waitForURL(/\/portal\/bps_test_/);
    await page.getByRole('button', { name: 'Cancel subscription' }).click();
    await page.waitForURL(/#\/ask$/);
    // Back on the free plan: the Premium message of today counts, so nothing more until midnight UTC.
    await expect.poll(() => usageLine().textContent()).toMatch(/^21 of 20 messages used today/);
  });

  it('your own endpoint: answered by the URL set in settings, not metered', async () => {
    await openAsk();
    const before = await usedToday();
    await chooseMode(/Your own endpoint/);
    await page.locator('input[name="own-base-url"]').fill(`${model.url}/v1`);
    await page.locator('input[name="own-base-url"]').blur();
    await page.locator('input[name="own-model"]').fill('stand-in-chat');
    await page.locator('input[name="own-model"]').blur();
    await ask('What about the bicycle chain?');
    const text = (await page.locator('.ask-turn').last().getByTestId('answer').textContent()) ?? '';
    expect(text).toContain('You asked: "What about the bicycle chain?"');
    // Removing every excerpt from the preview means none is sent: the model has nothing to quote.
    await page.locator('#ask-input').fill('Once more about the bicycle chain');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    const preview = page.getByRole('region', { name: 'What will be sent' });
    await preview.waitFor();
    const removeButtons = preview.getByRole('button', { name: /^Remove excerpt/ });
    expect(await removeButtons.count()).toBeGreaterThan(0);
    while ((await removeButtons.count()) > 0) await removeButtons.first().click();
    await preview.getByRole('button', { name: 'Send' }).click();
    const last = page.locator('.ask-turn').last();
    await last.and(page.locator('[data-status="done"]')).waitFor();
    const bare = (await last.getByTestId('answer').textContent()) ?? '';
    expect(bare).toContain('I found nothing about it in the context you sent');
    expect(bare).not.toContain('squeaking');
    expect(await usedToday()).toBe(before);
    expect(session.errors.filter((e) => !/status of (429|401)/.test(e))).toEqual([]);
  });
});
