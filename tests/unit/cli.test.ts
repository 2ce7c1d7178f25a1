// The `cogzy` command without a server: what a person sees offline. Import a generated export into the local copy
// (no push), search it, show a conversation, export it as JSON and import that backup on a second computer
// (the same vault comes back), Markdown export, and the errors: sentences, exit codes, no stack traces.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHome, writeAccount } from '../../shared/cli/home';
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
        [['login', '--server', 'http://127.0.0.1:9', '--email', 'a@example.com'], { ...first.env, COGZY_PASSWORD: 'long enough password' }, 5, /You are offline/],
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
});
