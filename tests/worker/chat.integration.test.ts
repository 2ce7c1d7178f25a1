import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseChatEvent, SseSplitter, USAGE_HEADERS } from '../../shared/chat/sse';
import { ApiClient, appFetch, expectError, signUp } from './helpers';

// The Worker talks to the real local OpenAI-compatible stand-in (tests/support/openai-server.ts, started by
// global-setup.ts). Each test picks a label (its own request counter) and a behaviour through the upstream base URL.
const standIn = (env.CHAT_API_BASE ?? '').replace(/\/v1$/, '');
const labelOf = () => `t-${crypto.randomUUID().slice(0, 12)}`;

function upstream(label: string, behaviour = 'ok', timeoutMs = 30_000) {
  return appFetch({}, { CHAT_API_BASE: `${standIn}/scenario/${label}/${behaviour}/v1`, CHAT_UPSTREAM_TIMEOUT_MS: String(timeoutMs) });
}

async function upstreamRequests(label: string): Promise<number> {
  const res = await fetch(`${standIn}/scenario/${label}`);
  return (await res.json<{ chatRequests: number }>()).chatRequests;
}

const SECRET_PROMPT = 'my passport number is X1234-CONFIDENTIAL';
const question = (text = 'What did I say about sourdough?') => ({
  messages: [
    { role: 'system', content: 'Answer from these excerpts.\n[1] (Bread, 2024-05-01) Sourdough wants a warm kitchen. Feed the starter daily.' },
    { role: 'user', content: text },
  ],
});

async function used(client: ApiClient): Promise<number> {
  return (await client.json<{ messages: { used: number } }>('GET', '/api/usage')).body.messages.used;
}

/** The answer text and the events of an SSE body. */
async function readAnswer(res: Response): Promise<{ text: string; errors: string[]; done: boolean }> {
  const splitter = new SseSplitter();
  const events = [...splitter.push(await res.text()), ...splitter.end()].map(parseChatEvent);
  return {
    text: events.map((e) => (e.kind === 'delta' ? e.text : '')).join(''),
    errors: events.flatMap((e) => (e.kind === 'error' ? [e.code ?? ''] : [])),
    done: events.some((e) => e.kind === 'done'),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('POST /api/chat', () => {
  it('streams the model answer as SSE, quoting the context, and reports usage in headers', async () => {
    const label = labelOf();
    const { client } = await signUp({ fetch: upstream(label) });
    const res = await client.call('POST', '/api/chat', { json: question() });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/event-stream');
    expect(res.headers.get(USAGE_HEADERS.used)).toBe('1');
    expect(res.headers.get(USAGE_HEADERS.limit)).toBe('20');
    expect(res.headers.get(USAGE_HEADERS.remaining)).toBe('19');
    expect(res.headers.get(USAGE_HEADERS.resetsAt)).toMatch(/T00:00:00\.000Z$/);
    const answer = await readAnswer(res);
    expect(answer.done).toBe(true);
    expect(answer.text).toContain('"Sourdough wants a warm kitchen. Feed the starter daily." [1]');
    expect(await used(client)).toBe(1);
    expect(await upstreamRequests(label)).toBe(1);
  });

  it('40 parallel requests against 20 remaining: exactly 20 reach the model, 20 get QUOTA_EXCEEDED', async () => {
    const label = labelOf();
    const { client } = await signUp({ fetch: upstream(label) });
    const responses = await Promise.all(Array.from({ length: 40 }, () => client.call('POST', '/api/chat', { json: question() })));
    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 429);
    expect(ok).toHaveLength(20);
    expect(refused).toHaveLength(20);
    for (const r of ok) expect((await readAnswer(r)).done).toBe(true);
    expect(refused[0]?.headers.get(USAGE_HEADERS.remaining)).toBe('0');
    await expectError(refused[0] ?? new Response(), 429, 'QUOTA_EXCEEDED');
    expect(await upstreamRequests(label)).toBe(20);
    expect(await used(client)).toBe(20);
  });

  it("another user's quota is untouched", async () => {
    const label = labelOf();
    const alice = await signUp({ fetch: upstream(label) });
    const bob = await signUp({ fetch: upstream(label) });
    for (let i = 0; i < 3; i++) await readAnswer(await alice.client.call('POST', '/api/chat', { json: question() }));
    expect(await used(alice.client)).toBe(3);
    expect(await used(bob.client)).toBe(0);
  });

  it('premium is unlimited', async () => {
    const label = labelOf();
    const { client, user } = await signUp({ fetch: upstream(label) });
    await env.DB.prepare("UPDATE users SET tier = 'premium' WHERE id = ?").bind(user.id).run();
    for (let i = 0; i < 22; i++) {
      const res = await client.call('POST', '/api/chat', { json: question() });
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
    const last = await client.call('POST', '/api/chat', { json: question() });
    expect(last.headers.get(USAGE_HEADERS.remaining)).toBe('unlimited');
    await last.body?.cancel();
  });

  it.each([
    ['an upstream 500', 'status-500'],
    ['an upstream that never answers', 'hang'],
    ['an upstream that sends headers and then hangs', 'hang-after-headers'],
  ])('%s is refunded and answered with CHAT_UPSTREAM_FAILED', async (_name, behaviour) => {
    const label = labelOf();
    const { client } = await signUp({ fetch: upstream(label, behaviour, 400) });
    const res = await client.call('POST', '/api/chat', { json: question() });
    expect(res.headers.get(USAGE_HEADERS.remaining)).toBe('20');
    await expectError(res, 502, 'CHAT_UPSTREAM_FAILED');
    expect(await used(client)).toBe(0);
    expect(await upstreamRequests(label)).toBe(1);
  });

  it('an unreachable upstream is refunded too', async () => {
    const fetchDown = appFetch({}, { CHAT_API_BASE: 'http://127.0.0.1:9/v1' });
    const { client } = await signUp({ fetch: fetchDown });
    await expectError(await client.call('POST', '/api/chat', { json: question() }), 502, 'CHAT_UPSTREAM_FAILED');
    expect(await used(client)).toBe(0);
  });

  it('a stream cut after the first token counts and ends with a CHAT_INTERRUPTED event', async () => {
    const label = labelOf();
    const { client } = await signUp({ fetch: upstream(label, 'cut-after-first', 400) });
    const res = await client.call('POST', '/api/chat', { json: question() });
    expect(res.status).toBe(200);
    const answer = await readAnswer(res);
    expect(answer.text).toBe('You ');
    expect(answer.errors).toEqual(['CHAT_INTERRUPTED']);
    expect(await used(client)).toBe(1);
  });

  it('never logs prompt text, on success or failure', async () => {
    const lines: string[] = [];
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack ?? ''}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      });
    }
    for (const behaviour of ['ok', 'status-500', 'hang', 'cut-after-first']) {
      const { client } = await signUp({ fetch: upstream(labelOf(), behaviour, 300) });
      const res = await client.call('POST', '/api/chat', { json: question(SECRET_PROMPT) });
      await res.text();
    }
    expect(lines.some((l) => l.includes('chat upstream failed'))).toBe(true);
    expect(lines.filter((l) => l.includes('X1234') || l.includes('Sourdough'))).toEqual([]);
  });

  it('needs a session, the CSRF proof for cookies, a valid and bounded body', async () => {
    const label = labelOf();
    await expectError(await new ApiClient(upstream(label)).call('POST', '/api/chat', { json: question() }), 401, 'UNAUTHENTICATED');
    const cookie = await signUp({ session: 'cookie', fetch: upstream(label) });
    await expectError(await cookie.client.call('POST', '/api/chat', { json: question(), csrf: false }), 403, 'CSRF_REJECTED');
    const { client } = await signUp({ fetch: upstream(label) });
    await expectError(await client.call('POST', '/api/chat', { json: { messages: [] } }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('POST', '/api/chat', { json: { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] } }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('POST', '/api/chat', { json: { messages: [{ role: 'tool', content: 'x' }] } }), 400, 'VALIDATION_FAILED');
    const long = Array.from({ length: 4 }, () => ({ role: 'user', content: 'a'.repeat(30_000) }));
    await expectError(await client.call('POST', '/api/chat', { json: { messages: long } }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('POST', '/api/chat', { json: { messages: [{ role: 'user', content: 'b'.repeat(600_000) }] } }), 413, 'PAYLOAD_TOO_LARGE');
    expect(await used(client)).toBe(0);
    expect(await upstreamRequests(label)).toBe(0);
  });

  it('answers CHAT_UNAVAILABLE without counting when no model is configured', async () => {
    const { client } = await signUp({ fetch: appFetch({}, { CHAT_API_KEY: undefined }) });
    await expectError(await client.call('POST', '/api/chat', { json: question() }), 503, 'CHAT_UNAVAILABLE');
    expect(await used(client)).toBe(0);
  });
});
