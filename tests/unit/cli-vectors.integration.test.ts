// Vectors travel between two computers (SPEC C38, C45, C46) through the real Worker under `wrangler dev` and a local
// S3 server: the laptop has an embedding service (the OpenAI-compatible stand-in, with an API key), imports an export,
// embeds it and pushes conversations and vectors; the desktop pulls, holds the laptop's vectors, and its semantic
// search uses them, sending only the query to the service. The API key stays in the laptop's settings file.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVault } from '../../shared/sync/keys';
import { runCogzy, tempHome, type CliRun, type TempHome } from '../support/cli-home';
import { generateExport, oneExchangeConversation } from '../support/generate-chatgpt';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server';
import { startLocalS3, type LocalS3 } from '../support/s3-server';
import { openSession, startLocalWorker, transportFor, type LocalWorker } from '../support/sync-client';

const password = 'correct horse battery staple';
const passphrase = 'a long sync passphrase nobody guesses';
const API_KEY = 'sk-test-two-computers-5e8d2b7a';
const systemRandom = { bytes: (n: number) => crypto.getRandomValues(new Uint8Array(n)), fraction: () => Math.random() };

describe('vectors made by one cogzy computer are used by another', () => {
  let s3: LocalS3;
  let worker: LocalWorker;
  let ai: OpenAiServer;
  const homes: TempHome[] = [];
  const outputs: string[] = [];
  const cogzy = async (args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliRun> => {
    const run = await runCogzy(args, env, stdin);
    outputs.push(run.stdout, run.stderr);
    return run;
  };

  beforeAll(async () => {
    ai = await startOpenAiServer({ apiKey: API_KEY, defaultDimensions: 96 });
    s3 = await startLocalS3();
    worker = await startLocalWorker(s3.env);
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await s3?.close();
    await ai?.close();
    for (const home of homes) home.remove();
  });

  it('pushes the vectors with the import; the desktop searches by meaning with them and embeds only the query', async () => {
    const email = `cli-vectors-${randomUUID()}@example.com`;
    const token = await openSession(worker.url, 'signup', email, password);
    const vault = await createVault(crypto.subtle, systemRandom, passphrase);
    expect(await transportFor(worker.url, token).putVaultKey(0, vault.wrappedKey)).toMatchObject({ ok: true });
    const laptop = tempHome('cogzy-vec-laptop-');
    const desktop = tempHome('cogzy-vec-desktop-');
    homes.push(laptop, desktop);
    for (const home of [laptop, desktop]) {
      expect((await cogzy(['login', '--server', worker.url, '--email', email, '--json'], { ...home.env, COGZY_PASSWORD: password })).code).toBe(0);
      expect((await cogzy(['unlock', '--json'], { ...home.env, COGZY_PASSPHRASE: passphrase })).code).toBe(0);
    }
    // The laptop keeps the service in its settings file; the desktop gets it from the environment (a server's way).
    expect((await cogzy(['config', '--embed-url', ai.url, '--embed-model', 'stand-in-embed', '--embed-key', '--stdin'], laptop.env, API_KEY)).code).toBe(0);
    const desktopEnv = { ...desktop.env, COGZY_EMBED_URL: ai.url, COGZY_EMBED_MODEL: 'stand-in-embed', COGZY_EMBED_KEY: API_KEY };

    const generated = generateExport({ seed: 45, conversations: 20 });
    // One exchange in words the generated ones never use: by meaning, it is the nearest to a query about tides.
    const tides = oneExchangeConversation('00000000-0000-4000-8000-0000000000f1', 'Tides', 'why are spring tides so high', 'at new and full moon the sun and moon pull together', 1_740_000_000);
    const exchanges = generated.activeNodes + generated.inactiveNodes + 1;
    const file = join(laptop.dir, 'conversations.json');
    writeFileSync(file, JSON.stringify([...(JSON.parse(generated.json) as unknown[]), tides]));
    const imported = await cogzy(['import', file, '--json'], laptop.env);
    expect(imported.json, imported.stdout + imported.stderr).toMatchObject({ ok: true, pushed: true, embedding: { embedded: exchanges, error: null }, report: { state: 'in-sync' } });

    const pulled = await cogzy(['sync', '--json'], desktop.env);
    expect(pulled.json).toMatchObject({ ok: true, report: { state: 'in-sync' } });
    const status = await cogzy(['status', '--json'], desktop.env);
    expect(status.json).toMatchObject({ exchanges, vectors: [{ model: 'remote:stand-in-embed', dim: 96, count: exchanges }] });

    // By meaning, the tides exchange comes first, on both computers alike.
    const question = 'spring tides at full moon';
    ai.resetStats();
    const onDesktop = await cogzy(['search', question, '--mode', 'semantic', '--limit', '5', '--json'], desktopEnv);
    expect(onDesktop.json, onDesktop.stderr).toMatchObject({ ok: true, mode: 'semantic', note: null, vectors: { count: exchanges, exchanges } });
    expect([...ai.stats.embedded.keys()]).toEqual([question]);
    const desktopHits = onDesktop.json.hits as { nodeId: string; conversationTitle: string }[];
    expect(desktopHits[0]?.conversationTitle).toBe('Tides');
    const onLaptop = await cogzy(['search', question, '--mode', 'semantic', '--limit', '5', '--json'], laptop.env);
    expect((onLaptop.json.hits as { nodeId: string }[]).map((h) => h.nodeId)).toEqual(desktopHits.map((h) => h.nodeId));
    // The desktop made no vector of its own: nothing waits to be pushed there.
    expect((await cogzy(['status', '--json'], desktop.env)).json).toMatchObject({ pendingChanges: 0 });

    for (const home of [laptop, desktop]) {
      for (const name of readdirSync(home.dir)) {
        expect([name, readFileSync(join(home.dir, name)).includes(API_KEY)]).toEqual([name, home === laptop && name === 'config.json']);
      }
    }
    expect(outputs.filter((o) => o.includes(API_KEY))).toEqual([]);
  }, 300_000);
});
