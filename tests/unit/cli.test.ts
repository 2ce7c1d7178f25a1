// The `cogzy` command without a server: what a person sees offline. Import a generated export into the local copy
// (no push), search it, show a conversation, export it as JSON and import that backup on a second computer
// (the same vault comes back), Markdown export, and the errors: sentences, exit codes, no stack traces.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHome, readAccount, writeAccount, writeKey } from '../../shared/cli/home';
import { runCogzy, tempHome, type TempHome } from '../support/cli-home';
import { generateExport } from '../support/generate-chatgpt';

let first: TempHome;
let second: TempHome;
const generated = generateExport({ seed: 7, conversations: 12 });
const exchanges = generated.activeNodes + generated.inactiveNodes;

function signedInOffline(home: TempHome, deviceId: string): void {
  writeAccount(cliHome(home.env), { version: 1, server: 'http://127.0.0.1:9', email: 'offline@example.com', token: 'offline-session', deviceId });
}

beforeAll(() => {
  first = tempHome('cogzy-cli-a-');
  second = tempHome('cogzy-cli-b-');
  signedInOffline(first, 'cli-a');
  signedInOffline(second, 'cli-b');
});

afterAll(() => {
  first.remove();
  second.remove();
});

describe('cogzy offline', () => {
  it('imports an export into the local copy, finds it, shows it, and a second import adds nothing', async () => {
    const file = join(first.dir, 'conversations.json');
    writeFileSync(file, generated.json);
    const imported = await runCogzy(['import', file, '--no-push', '--json'], first.env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.json).toMatchObject({ ok: true, pushed: false, results: [{ status: 'complete', conversations: 12, newExchanges: exchanges }] });
    const again = await runCogzy(['import', file, '--no-push', '--json'], first.env);
    expect(again.json).toMatchObject({ results: [{ newExchanges: 0, duplicates: exchanges }] });
    expect((await runCogzy(['status', '--json'], first.env)).json).toMatchObject({ conversations: 12, exchanges, pendingChanges: 12 + exchanges, unlocked: false });

    const title = (JSON.parse(generated.json) as { title: string }[])[3]!.title;
    const search = await runCogzy(['search', title, '--json', '--limit', '3'], first.env);
    const hits = search.json.hits as { conversationTitle: string; nodeId: string; link: string }[];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.link.startsWith('http://127.0.0.1:9/#/c/'))).toBe(true);
    const text = await runCogzy(['search', title, '--limit', '3'], first.env);
    expect(text.stdout).toMatch(/^1\. /);
    const shown = await runCogzy(['show', hits[0]!.nodeId, '--json'], first.env);
    expect(shown.json).toMatchObject({ ok: true, conversation: { title: hits[0]!.conversationTitle } });
    expect((await runCogzy(['search', 'zzzqqqxxx', '--json'], first.env)).json).toMatchObject({ ok: true, hits: [] });
  }, 300_000);

  it('exports JSON that imports back into another computer as the same vault, and Markdown per conversation', async () => {
    const out = join(first.dir, 'backup');
    const exported = await runCogzy(['export', '--format', 'json', out, '--json'], first.env);
    expect(exported.json).toMatchObject({ ok: true, conversations: 12 });
    const [backup] = exported.json.files as string[];
    expect(JSON.parse(readFileSync(backup!, 'utf8'))).toMatchObject({ format: 'cogzy-vault-export', version: 2 });
    const restored = await runCogzy(['import', backup!, '--no-push', '--json'], second.env);
    expect(restored.json, restored.stdout + restored.stderr).toMatchObject({ ok: true, results: [{ status: 'complete', conversations: 12, newExchanges: exchanges }] });
    expect((await runCogzy(['status', '--json'], second.env)).json).toMatchObject({ conversations: 12, exchanges });
    const md = await runCogzy(['export', '--format', 'md', join(second.dir, 'md'), '--json'], second.env);
    expect(md.json).toMatchObject({ ok: true, conversations: 12 });
    const files = readdirSync(join(second.dir, 'md', 'chatgpt'));
    expect(files).toHaveLength(12);
    expect(readFileSync(join(second.dir, 'md', 'chatgpt', files[0]!), 'utf8')).toMatch(/^# .+\n\n- Provider: ChatGPT/);
  }, 300_000);

  it('explains every expected failure in a sentence with its exit code, never a stack trace', async () => {
    const stranger = tempHome('cogzy-cli-none-');
    try {
      const cases: [string[], NodeJS.ProcessEnv, number, RegExp][] = [
        [['search', 'x'], stranger.env, 3, /not signed in to Cogzy Vault\. Run cogzy login first/],
        [['sync'], first.env, 4, /has not unlocked your vault yet/],
        [['show', 'claude:nope'], first.env, 7, /That was not found/],
        [['import', join(first.dir, 'missing.zip'), '--no-push'], first.env, 1, /could not be read/],
        [['search', 'x', '--limit', 'lots'], first.env, 2, /--limit takes a whole number/],
        [['export', '--format', 'pdf', first.dir], first.env, 2, /--format is md or json/],
        [['frobnicate'], first.env, 2, /not understood/],
        [['login', '--server', 'http://127.0.0.1:9', '--email', 'a@example.com'], first.env, 2, /no terminal to type it in/],
        [['login', '--server', 'http://127.0.0.1:9', '--email', 'offline@example.com'], { ...first.env, COGZY_PASSWORD: 'long enough password' }, 5, /You are offline/],
        [['login', '--server', 'http://127.0.0.1:9', '--email', 'a@example.com'], { ...first.env, COGZY_PASSWORD: 'long enough password' }, 3, /another account cannot sign in over it/],
        [['sync'], { ...first.env, COGZY_VAULT_KEY: 'garbage' }, 4, /COGZY_VAULT_KEY/],
      ];
      for (const [args, env, code, sentence] of cases) {
        const run = await runCogzy(args, env);
        expect([run.code, sentence.test(run.stderr)], `${args.join(' ')}: ${run.stderr}`).toEqual([code, true]);
        expect(run.stderr).not.toMatch(/\n\s+at /);
        const json = await runCogzy([...args, '--json'], env);
        expect(json.code).toBe(code);
        expect(json.json.ok).toBe(false);
        expect(sentence.test(String((json.json.error as { message?: unknown } | undefined)?.message) + String((json.json.error as { detail?: unknown } | undefined)?.detail))).toBe(true);
      }
    } finally {
      stranger.remove();
    }
    // Forty runs of the command, each a process start (seconds apiece on a loaded machine).
  }, 600_000);
  it('signs out keeping or wiping the local copy; the key, the session and config.json (with its API key) always go', async () => {
    const home = tempHome('cogzy-cli-out-');
    try {
      const files = cliHome(home.env);
      signedInOffline(home, 'cli-out');
      // What a signed-in, unlocked person leaves on this computer: the session, the key, the embedding service and its key, a local copy.
      writeKey(files, { version: 1, vaultId: 'vault-out', key: Buffer.alloc(32, 7).toString('base64') });
      const config = await runCogzy(['config', '--embed-url', 'https://embed.example.com', '--embed-model', 'm', '--embed-key', '--stdin', '--json'], home.env, 'sk-secret-of-this-person\n');
      expect(config.code, config.stderr).toBe(0);
      expect(statSync(files.configFile).mode & 0o777).toBe(0o600);
      const small = generateExport({ seed: 48, conversations: 2 });
      const file = join(home.dir, 'small.json');
      writeFileSync(file, small.json);
      expect((await runCogzy(['import', file, '--no-push', '--no-embed', '--json'], home.env)).code).toBe(0);
      const before = readdirSync(home.dir).sort();

      // --json (or no terminal) without --keep/--wipe: a usage error, and nothing changes.
      const unsaid = await runCogzy(['logout', '--json'], home.env);
      expect([unsaid.code, unsaid.json]).toMatchObject([2, { ok: false, error: { code: 'CLI_USAGE' } }]);
      expect(String((unsaid.json.error as { detail?: unknown }).detail)).toMatch(/--keep .* or --wipe/);
      expect((await runCogzy(['logout'], home.env)).code).toBe(2);
      expect(readdirSync(home.dir).sort()).toEqual(before);
      // Wiping unpushed changes needs --yes.
      const unpushed = await runCogzy(['logout', '--wipe', '--json'], home.env);
      expect(unpushed.code).toBe(2);
      expect(String((unpushed.json.error as { detail?: unknown }).detail)).toMatch(/never pushed .* --wipe --yes/);
      expect(readdirSync(home.dir).sort()).toEqual(before);

      // --keep: the copy stays and still answers offline; the key and the settings are gone; the account has no session.
      const kept = await runCogzy(['logout', '--keep', '--json'], home.env);
      expect(kept.json, kept.stderr).toMatchObject({ ok: true, kept: true, revoked: false, pending: 2 + small.activeNodes + small.inactiveNodes });
      expect([existsSync(files.keyFile), existsSync(files.configFile), existsSync(files.vaultFile)]).toEqual([false, false, true]);
      expect(readAccount(files)).toMatchObject({ token: null, deviceId: 'cli-out', email: 'offline@example.com' });
      expect(readFileSync(files.accountFile, 'utf8')).not.toContain('offline-session');
      expect((await runCogzy(['status', '--json'], home.env)).json).toMatchObject({ signedIn: false, unlocked: false, conversations: 2 });
      const title = (JSON.parse(small.json) as { title: string }[])[1]!.title;
      expect(((await runCogzy(['search', title, '--json'], home.env)).json.hits as unknown[]).length).toBeGreaterThan(0);
      expect((await runCogzy(['sync', '--json'], home.env)).code).toBe(3);
      // Another account does not sign in over the kept copy (refused before anything is sent).
      const other = await runCogzy(['login', '--server', 'http://127.0.0.1:9', '--email', 'someone-else@example.com', '--json'], { ...home.env, COGZY_PASSWORD: 'long enough password' });
      expect([other.code, other.json]).toMatchObject([3, { error: { code: 'CLI_OTHER_ACCOUNTS_COPY' } }]);

      // --wipe --yes: nothing of the person's is left in the folder.
      const wiped = await runCogzy(['logout', '--wipe', '--yes', '--json'], home.env);
      expect(wiped.json, wiped.stderr).toMatchObject({ ok: true, kept: false, dropped: 2 + small.activeNodes + small.inactiveNodes });
      expect(readdirSync(home.dir).filter((f) => f !== 'small.json')).toEqual([]);
      expect((await runCogzy(['status', '--json'], home.env)).json).toMatchObject({ signedIn: false });
    } finally {
      home.remove();
    }
  }, 300_000);
});
