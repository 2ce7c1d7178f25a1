// The `cogzy` command as two computers of one person, against the real Worker under `wrangler dev` (local D1) and
// a local S3-compatible server: sign in, unlock (passphrase on one, recovery code on the other), import a generated
// ChatGPT export and push it; the second computer pulls it and finds it by search; a memory stored through
// `cogzy mcp` on the second reaches the first. (The browser half of issue 13's end-to-end tests waits for the app's
// sync service.)
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHome } from '../../shared/cli/home';
import { createVault } from '../../shared/sync/keys';
import { cogzyBin, repoRoot, runCogzy, tempHome, type TempHome } from '../support/cli-home';
import { generateExport } from '../support/generate-chatgpt';
import { startLocalS3, type LocalS3 } from '../support/s3-server';
import { openSession, startLocalWorker, transportFor, type LocalWorker } from '../support/sync-client';

const password = 'correct horse battery staple';
const passphrase = 'a long sync passphrase nobody guesses';
const systemRandom = { bytes: (n: number) => crypto.getRandomValues(new Uint8Array(n)), fraction: () => Math.random() };

describe('cogzy on two computers through wrangler dev', () => {
  let s3: LocalS3;
  let worker: LocalWorker;
  const homes: TempHome[] = [];

  beforeAll(async () => {
    s3 = await startLocalS3();
    worker = await startLocalWorker(s3.env);
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await s3?.close();
    for (const home of homes) home.remove();
  });

  it('logs in, unlocks, imports and pushes; the other computer pulls and finds it; an MCP memory travels back', async () => {
    const email = `cli-${randomUUID()}@example.com`;
    // The account and its vault key come from the app (sign-up, then "turn on sync", which shows the recovery code).
    const token = await openSession(worker.url, 'signup', email, password);
    const vault = await createVault(crypto.subtle, systemRandom, passphrase);
    expect(await transportFor(worker.url, token).putVaultKey(0, vault.wrappedKey)).toMatchObject({ ok: true });

    const laptop = tempHome('cogzy-laptop-');
    const desktop = tempHome('cogzy-desktop-');
    homes.push(laptop, desktop);

    // Laptop: a wrong password and a wrong passphrase are refused with their exit codes, then the right ones work.
    const badLogin = await runCogzy(['login', '--server', worker.url, '--email', email, '--json'], { ...laptop.env, COGZY_PASSWORD: 'not my password!' });
    expect(badLogin.code).toBe(3);
    expect(badLogin.json).toMatchObject({ ok: false, error: { code: 'INVALID_CREDENTIALS' } });
    expect(badLogin.stderr).not.toMatch(/\n\s+at /);
    const locked = await runCogzy(['sync', '--json'], laptop.env);
    expect(locked.code).toBe(3);
    const login = await runCogzy(['login', '--server', worker.url, '--email', email, '--stdin', '--json'], laptop.env, `${password}\n`);
    expect(login.json, login.stdout + login.stderr).toMatchObject({ ok: true, email });
    expect(statSync(cliHome(laptop.env).accountFile).mode & 0o777).toBe(0o600);
    expect((await runCogzy(['sync', '--json'], laptop.env)).code).toBe(4);
    const wrongPassphrase = await runCogzy(['unlock', '--json'], { ...laptop.env, COGZY_PASSPHRASE: 'not it' });
    expect([wrongPassphrase.code, wrongPassphrase.json]).toMatchObject([4, { error: { code: 'CRYPTO_WRONG_PASSPHRASE' } }]);
    const unlocked = await runCogzy(['unlock', '--json'], { ...laptop.env, COGZY_PASSPHRASE: passphrase });
    expect(unlocked.json).toMatchObject({ ok: true, unlocked: true });
    expect(statSync(cliHome(laptop.env).keyFile).mode & 0o777).toBe(0o600);

    // Import a generated ChatGPT export and push it.
    const generated = generateExport({ seed: 13, conversations: 40 });
    const exportFile = join(laptop.dir, 'conversations.json');
    writeFileSync(exportFile, generated.json);
    const imported = await runCogzy(['import', exportFile, '--json'], laptop.env);
    expect(imported.json, imported.stdout + imported.stderr).toMatchObject({ ok: true, pushed: true, report: { state: 'in-sync' } });
    const [result] = imported.json.results as { conversations: number; newExchanges: number }[];
    expect(result).toMatchObject({ conversations: 40, newExchanges: generated.activeNodes + generated.inactiveNodes });
    const title = (JSON.parse(generated.json) as { title: string }[])[7]!.title;
    const query = title.replace(/^Conversation \d+: /, '').split(/\s+/).slice(0, 3).join(' ');
    const onLaptop = await runCogzy(['search', query, '--json', '--limit', '5'], laptop.env);
    const laptopHits = onLaptop.json.hits as { nodeId: string; conversationTitle: string }[];
    expect(laptopHits.length).toBeGreaterThan(0);

    // Desktop: the recovery code unlocks the same vault; one sync brings everything; search answers the same.
    expect((await runCogzy(['login', '--server', worker.url, '--email', email, '--json'], { ...desktop.env, COGZY_PASSWORD: password })).code).toBe(0);
    expect((await runCogzy(['unlock', '--recovery-code', '--json'], { ...desktop.env, COGZY_RECOVERY_CODE: vault.recoveryCode })).code).toBe(0);
    const pulled = await runCogzy(['sync', '--json'], desktop.env);
    expect(pulled.json).toMatchObject({ ok: true, report: { state: 'in-sync' } });
    expect((pulled.json.report as { pulledSegments: number }).pulledSegments).toBeGreaterThan(0);
    const onDesktop = await runCogzy(['search', query, '--json', '--limit', '5'], desktop.env);
    expect((onDesktop.json.hits as { nodeId: string }[]).map((h) => h.nodeId)).toEqual(laptopHits.map((h) => h.nodeId));
    const status = await runCogzy(['status', '--json'], desktop.env);
    expect(status.json).toMatchObject({ conversations: 40, exchanges: generated.activeNodes + generated.inactiveNodes, pendingChanges: 0 });
    const shown = await runCogzy(['show', laptopHits[0]!.nodeId], desktop.env);
    expect(shown.stdout).toContain(laptopHits[0]!.conversationTitle);
    const exported = await runCogzy(['export', '--format', 'md', join(desktop.dir, 'md'), '--json'], desktop.env);
    expect(exported.json).toMatchObject({ ok: true, conversations: 40 });
    expect(readdirSync(join(desktop.dir, 'md', 'chatgpt'))).toHaveLength(40);

    // A memory stored through MCP on the desktop is written locally, pushed in the background, pulled by the laptop.
    const env = Object.fromEntries(Object.entries(desktop.env).filter((e): e is [string, string] => e[1] !== undefined));
    const client = new Client({ name: 'cogzy-e2e', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [cogzyBin, 'mcp'], env, cwd: repoRoot, stderr: 'pipe' }));
    try {
      const memory = `Allergic to hazelnuts ${randomUUID().slice(0, 8)}`;
      const stored = (await client.callTool({ name: 'store_memory', arguments: { text: memory } })) as { structuredContent?: { id?: string; syncState?: string } };
      expect(stored.structuredContent?.syncState).toMatch(/pending/);
      const found = (await client.callTool({ name: 'search_memory', arguments: { query, limit: 5 } })) as { structuredContent?: { hits?: { nodeId: string }[] } };
      expect(found.structuredContent?.hits?.map((h) => h.nodeId)).toEqual(laptopHits.map((h) => h.nodeId));
      // The background push: poll vault_status until nothing is pending (the tool answered before it ran).
      const deadline = Date.now() + 30_000;
      for (;;) {
        const status = (await client.callTool({ name: 'vault_status', arguments: {} })) as { structuredContent?: { pendingChanges?: number } };
        if (status.structuredContent?.pendingChanges === 0) break;
        if (Date.now() > deadline) throw new Error('the memory was not pushed in 30 s');
        await new Promise((r) => setTimeout(r, 250));
      }
      expect((await runCogzy(['sync', '--json'], laptop.env)).code).toBe(0);
      expect((await runCogzy(['status', '--json'], laptop.env)).json).toMatchObject({ memories: 1 });
    } finally {
      await client.close();
    }

    // Signing out with --wipe deletes the session, the key, the settings (an embedding key here) and the local copy.
    expect((await runCogzy(['config', '--embed-url', 'https://embed.example.com', '--embed-model', 'm', '--embed-key', '--json'], { ...laptop.env, COGZY_EMBED_KEY: 'sk-laptop' })).code).toBe(0);
    expect((await runCogzy(['logout', '--wipe', '--json'], laptop.env)).json).toMatchObject({ ok: true, revoked: true, kept: false });
    expect(readdirSync(laptop.dir).filter((f) => f !== 'conversations.json')).toEqual([]);
  }, 300_000);
});
