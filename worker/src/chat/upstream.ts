/**
 * The OpenAI-compatible model behind POST /api/chat. `openChatStream` returns only once the first token has arrived,
 * so the route knows whether to refund before it commits to a streamed 200; after that, `relay` passes the upstream
 * SSE bytes through unchanged (the PWA parses the same format from a person's own endpoint). Neither logs nor keeps
 * the prompt: failures carry only a reason like `status 500` or `timeout`.
 */
import { ERROR_MESSAGES } from '../../../shared/errors';
import { parseChatEvent, SseSplitter, type ChatMessage } from '../../../shared/chat/sse';

export interface ChatUpstreamConfig {
  /** Base URL including the version path, e.g. https://api.openai.com/v1 */
  base: string;
  apiKey: string;
  model: string;
  /** Longest silence from the upstream, before the first token and between chunks. */
  timeoutMs: number;
}

/** The model failed before its first token: the message is refunded. `reason` never contains prompt text. */
export class UpstreamFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UpstreamFailure';
  }
}

export interface OpenedChatStream {
  /** Bytes read so far, up to and including the first token. */
  prefix: Uint8Array[];
  reader: ReadableStreamDefaultReader<Uint8Array>;
  abort: () => void;
}

/** Races `promise` against the silence deadline; the timer is always cleared. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UpstreamFailure('timeout')), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

export async function openChatStream(config: ChatUpstreamConfig, messages: ChatMessage[]): Promise<OpenedChatStream> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    const response = await within(
      fetch(`${config.base.replace(/\/+$/, '')}/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${config.apiKey}`, 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body: JSON.stringify({ model: config.model, messages, stream: true }),
        signal: controller.signal,
      }),
      config.timeoutMs,
    ).catch((error: unknown) => {
      throw error instanceof UpstreamFailure ? error : new UpstreamFailure('unreachable');
    });
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw new UpstreamFailure(`status ${response.status}`);
    }
    reader = response.body.getReader();
    const decoder = new TextDecoder();
    const splitter = new SseSplitter();
    const prefix: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await within(reader.read(), config.timeoutMs).catch((error: unknown) => {
        throw error instanceof UpstreamFailure ? error : new UpstreamFailure('stream broke');
      });
      const events = done ? splitter.end() : splitter.push(decoder.decode(value, { stream: true }));
      if (!done) prefix.push(value);
      for (const data of events) {
        const event = parseChatEvent(data);
        if (event.kind === 'delta') return { prefix, reader, abort };
        if (event.kind === 'error') throw new UpstreamFailure('error event');
        if (event.kind === 'done') throw new UpstreamFailure('no tokens');
      }
      if (done) throw new UpstreamFailure('ended before the first token');
    }
  } catch (error) {
    abort();
    await reader?.cancel().catch(() => undefined);
    throw error;
  }
}

const encoder = new TextEncoder();
/** The SSE event that ends a stream whose upstream went silent or broke after answering in part. */
const INTERRUPTED_EVENT = encoder.encode(`data: ${JSON.stringify({ error: { code: 'CHAT_INTERRUPTED', message: ERROR_MESSAGES.CHAT_INTERRUPTED } })}\n\n`);

/** The client's stream: the prefix, then the rest of the upstream; a client that goes away cancels the upstream. */
export function relay(opened: OpenedChatStream, timeoutMs: number): ReadableStream<Uint8Array> {
  const { prefix, reader, abort } = opened;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of prefix) controller.enqueue(chunk);
    },
    async pull(controller) {
      try {
        const { done, value } = await within(reader.read(), timeoutMs);
        if (done) controller.close();
        else controller.enqueue(value);
      } catch {
        abort();
        await reader.cancel().catch(() => undefined);
        controller.enqueue(INTERRUPTED_EVENT);
        controller.close();
      }
    },
    async cancel() {
      abort();
      await reader.cancel().catch(() => undefined);
    },
  });
}
