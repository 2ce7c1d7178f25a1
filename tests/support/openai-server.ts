/**
 * A local stand-in for a third-party OpenAI-compatible API (node http, loopback, port 0 by default). It serves
 * /v1/embeddings with deterministic vectors that keep word-overlap similarity (feature hashing of lowercased words
 * into signed buckets, then L2-normalised), and /v1/chat/completions (plain and SSE streaming) for ask-memory.
 * Faults are injected by rate from a seeded PRNG: 429 with Retry-After, 500, and hangs (never answers, so the
 * client's timeout fires). It counts every input it actually answered, so tests can prove "embedded exactly once".
 * Chat replies quote the numbered excerpts (`[1] ...` lines) of the system message with their citation numbers, so
 * an ask-memory flow shows a plausible, checkable answer. Tests that run where they cannot call `configure` (the
 * Worker inside workerd) pick a behaviour per request by path: `/scenario/<label>/<behaviour>/v1/chat/completions`
 * with a behaviour from CHAT_SCENARIOS, and read how many chat requests reached a label at `GET /scenario/<label>`.
 * The client code under test is the real one; only the third party is stood in for.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { seededRandom } from '../../shared/embed/random';

export interface OpenAiServerOptions {
  host?: string;
  port?: number;
  /** Delay before every answer. */
  latencyMs?: number;
  /** Extra uniform random delay in [0, latencyJitterMs]. */
  latencyJitterMs?: number;
  rate429?: number;
  rate500?: number;
  /** Share of requests that hang until the client gives up. */
  rateHang?: number;
  /** Retry-After sent with injected 429s, in seconds (fractions allowed: the client must honour them). */
  retryAfterSeconds?: number;
  /** Vector length when the request does not ask for `dimensions`. */
  defaultDimensions?: number;
  /** Largest batch accepted (OpenAI's is 2048). */
  maxInputs?: number;
  /** Delay between streamed chat chunks (a plausible typing speed in `npm start`; stop-mid-stream tests). */
  tokenDelayMs?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string | null;
  seed?: number;
}

export interface OpenAiServerStats {
  requests: number;
  byStatus: Map<number, number>;
  /** How many times each input text was answered with a vector. */
  embedded: Map<string, number>;
  inFlight: number;
  maxInFlight: number;
}

export interface OpenAiServer {
  readonly url: string;
  readonly stats: OpenAiServerStats;
  /** Change latency or fault rates while running (e.g. between test phases). */
  configure(options: Partial<OpenAiServerOptions>): void;
  resetStats(): void;
  close(): Promise<void>;
}

const embeddingsRequestSchema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string())]),
  dimensions: z.number().int().positive().max(8192).optional(),
  encoding_format: z.enum(['float', 'base64']).optional(),
});

const chatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(z.object({ role: z.string(), content: z.string() })).min(1),
  stream: z.boolean().optional(),
});

/** FNV-1a: stable across runs and platforms. */
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The stand-in embedding: every lowercased word adds ±1 to two hashed buckets, so shared words mean similar vectors. */
export function hashedEmbedding(text: string, dimensions: number): Float32Array {
  const v = new Float32Array(dimensions);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    for (const seed of [1, 2]) {
      const h = hash32(word, seed);
      v[h % dimensions] = (v[h % dimensions] ?? 0) + ((h >>> 31) === 1 ? 1 : -1);
    }
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm === 0) {
    v[hash32(text, 3) % dimensions] = 1;
    return v;
  }
  for (let i = 0; i < dimensions; i += 1) v[i] = (v[i] ?? 0) / norm;
  return v;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function openAiError(res: ServerResponse, status: number, message: string, type: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { message, type, param: null, code: null } }, headers);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Per-request behaviours for callers that cannot reconfigure the server: `ok`; `status-500`; `hang` (never sends
 * headers); `hang-after-headers` (200 and an SSE header, then silence); `cut-after-first` (one token, then the
 * connection drops); `slow` (100 ms between chunks).
 */
export const CHAT_SCENARIOS = ['ok', 'status-500', 'hang', 'hang-after-headers', 'cut-after-first', 'slow'] as const;
type ChatScenario = (typeof CHAT_SCENARIOS)[number];

/** The first two sentences (at most 200 characters) of each numbered excerpt `[n] text` in the system messages. */
function excerptsOf(messages: { role: string; content: string }[]): { n: string; quote: string }[] {
  const out: { n: string; quote: string }[] = [];
  for (const m of messages) {
    if (m.role !== 'system') continue;
    for (const match of m.content.matchAll(/^\[(\d+)\]\s*(.+)$/gm)) {
      const text = (match[2] ?? '').replace(/^\([^)]*\)\s*/, '').trim();
      // Up to two sentences: an excerpt `Q: ... A: ...` is quoted with the start of its answer.
      const sentence = (/^(?:.*?[.!?](?=\s|$)){1,2}/.exec(text)?.[0] ?? text).slice(0, 200);
      out.push({ n: match[1] ?? '', quote: sentence });
    }
  }
  return out;
}

/** Deterministic reply: the question back, then a quote of up to three excerpts with their citation numbers. */
export function chatAnswer(messages: { role: string; content: string }[]): string {
  const question = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const excerpts = excerptsOf(messages).slice(0, 3);
  const head = `You asked: "${question.slice(0, 200)}".`;
  if (excerpts.length === 0) return `${head} I found nothing about it in the context you sent. (Local stand-in model.)`;
  const quotes = excerpts.map((e) => `- "${e.quote}" [${e.n}]`).join('\n');
  return `${head} From your vault:\n\n${quotes}\n\n(Local stand-in model, quoting your excerpts.)`;
}

export async function startOpenAiServer(initial: OpenAiServerOptions = {}): Promise<OpenAiServer> {
  const options: OpenAiServerOptions = { ...initial };
  let random = seededRandom(options.seed ?? 1);
  const stats: OpenAiServerStats = { requests: 0, byStatus: new Map(), embedded: new Map(), inFlight: 0, maxInFlight: 0 };
  const scenarioRequests = new Map<string, number>();
  const count = (status: number): void => {
    stats.byStatus.set(status, (stats.byStatus.get(status) ?? 0) + 1);
  };
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-allow-methods': 'POST, GET, OPTIONS',
    'access-control-expose-headers': 'retry-after',
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
    let clientGone = false;
    res.once('close', () => {
      clientGone = true;
    });
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    let path = (req.url ?? '/').split('?')[0] ?? '/';
    let scenario: ChatScenario = 'ok';
    const scoped = /^\/scenario\/([\w-]{1,64})(?:\/([\w-]+))?(\/v1\/.*)?$/.exec(path);
    if (scoped) {
      const label = scoped[1] ?? '';
      if (req.method === 'GET' && scoped[2] === undefined) {
        sendJson(res, 200, { chatRequests: scenarioRequests.get(label) ?? 0 });
        return;
      }
      const behaviour = CHAT_SCENARIOS.find((b) => b === scoped[2]);
      if (behaviour === undefined || scoped[3] !== '/v1/chat/completions') {
        openAiError(res, 404, `No route ${req.method ?? ''} ${path}`, 'invalid_request_error');
        return;
      }
      scenario = behaviour;
      path = scoped[3];
      scenarioRequests.set(label, (scenarioRequests.get(label) ?? 0) + 1);
    }
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: [{ id: 'stand-in-embed', object: 'model' }, { id: 'stand-in-chat', object: 'model' }] });
      return;
    }
    if (req.method !== 'POST' || (path !== '/v1/embeddings' && path !== '/v1/chat/completions')) {
      openAiError(res, 404, `No route ${req.method ?? ''} ${path ?? ''}`, 'invalid_request_error');
      return;
    }
    stats.requests += 1;
    const body = await readBody(req);
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      count(401);
      openAiError(res, 401, 'Incorrect API key provided.', 'invalid_request_error');
      return;
    }
    const roll = random();
    const latency = (options.latencyMs ?? 0) + random() * (options.latencyJitterMs ?? 0);
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      const r429 = options.rate429 ?? 0;
      const r500 = options.rate500 ?? 0;
      const rHang = options.rateHang ?? 0;
      if (roll < rHang) {
        // Hang until the client gives up: nothing is answered, so nothing counts as embedded.
        count(0);
        await new Promise<void>((resolve) => res.once('close', () => resolve()));
        return;
      }
      if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
      if (roll < rHang + r429) {
        count(429);
        openAiError(res, 429, 'Rate limit reached. Please retry after a moment.', 'rate_limit_error', { 'retry-after': String(options.retryAfterSeconds ?? 0.05) });
        return;
      }
      if (roll < rHang + r429 + r500) {
        count(500);
        openAiError(res, 500, 'The server had an error while processing your request.', 'server_error');
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        count(400);
        openAiError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error');
        return;
      }
      if (path === '/v1/embeddings') {
        const parsed = embeddingsRequestSchema.safeParse(json);
        if (!parsed.success) {
          count(400);
          openAiError(res, 400, `Invalid request: ${parsed.error.message}`, 'invalid_request_error');
          return;
        }
        const inputs = typeof parsed.data.input === 'string' ? [parsed.data.input] : parsed.data.input;
        if (inputs.length === 0 || inputs.length > (options.maxInputs ?? 2048)) {
          count(400);
          openAiError(res, 400, `input must hold 1 to ${options.maxInputs ?? 2048} items`, 'invalid_request_error');
          return;
        }
        const dims = parsed.data.dimensions ?? options.defaultDimensions ?? 256;
        const data = inputs.map((text, index) => {
          const v = hashedEmbedding(text, dims);
          return { object: 'embedding', index, embedding: parsed.data.encoding_format === 'base64' ? Buffer.from(v.buffer).toString('base64') : Array.from(v) };
        });
        const tokens = inputs.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
        // Counted only when the answer is actually written (a client that already gave up gets nothing).
        if (clientGone) return;
        for (const text of inputs) stats.embedded.set(text, (stats.embedded.get(text) ?? 0) + 1);
        count(200);
        sendJson(res, 200, { object: 'list', data, model: parsed.data.model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
        return;
      }
      const parsed = chatRequestSchema.safeParse(json);
      if (!parsed.success) {
        count(400);
        openAiError(res, 400, `Invalid request: ${parsed.error.message}`, 'invalid_request_error');
        return;
      }
      const question = [...parsed.data.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
      const answer = chatAnswer(parsed.data.messages);
      if (scenario === 'hang') {
        count(0);
        await new Promise<void>((resolve) => res.once('close', () => resolve()));
        return;
      }
      if (scenario === 'status-500') {
        count(500);
        openAiError(res, 500, 'The server had an error while processing your request.', 'server_error');
        return;
      }
      count(200);
      const id = `chatcmpl-${hash32(answer, 9).toString(16)}`;
      if (!parsed.data.stream) {
        sendJson(res, 200, {
          id,
          object: 'chat.completion',
          created: 0,
          model: parsed.data.model,
          choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
          usage: { prompt_tokens: Math.ceil(question.length / 4), completion_tokens: Math.ceil(answer.length / 4), total_tokens: Math.ceil((question.length + answer.length) / 4) },
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      if (scenario === 'hang-after-headers') {
        await new Promise<void>((resolve) => res.once('close', () => resolve()));
        return;
      }
      const tokenDelay = scenario === 'slow' ? 100 : (options.tokenDelayMs ?? 0);
      const words = answer.split(/(?<= )/);
      for (const [i, word] of words.entries()) {
        if (clientGone) return;
        const delta = i === 0 ? { role: 'assistant', content: word } : { content: word };
        res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: parsed.data.model, choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`);
        if (scenario === 'cut-after-first') {
          // Let the first token reach the client before the connection drops.
          await new Promise((resolve) => setTimeout(resolve, 100));
          res.destroy();
          return;
        }
        if (tokenDelay > 0) await new Promise((resolve) => setTimeout(resolve, tokenDelay));
      }
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: parsed.data.model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    } finally {
      stats.inFlight -= 1;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) openAiError(res, 500, String(error), 'server_error');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    stats,
    configure(next) {
      Object.assign(options, next);
      if (next.seed !== undefined) random = seededRandom(next.seed);
    },
    resetStats() {
      scenarioRequests.clear();
      stats.requests = 0;
      stats.byStatus.clear();
      stats.embedded.clear();
      stats.maxInFlight = stats.inFlight;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
/** The name `npm start` (tests/tools/start.ts) uses. */
export const startOpenAiCompatibleServer = startOpenAiServer;
