/**
 * OpenAI-compatible chat completion streams (`text/event-stream` of `data: {chat.completion.chunk}` lines ending in
 * `data: [DONE]`). One parser for both sides: the Worker uses it to see the first token before it commits to a
 * streamed answer, and the PWA reads the Worker's stream and a person's own endpoint with it. Pure: no I/O.
 */
import { z } from 'zod';

/** What one `data:` payload of a chat stream means. */
export type ChatStreamEvent =
  | { kind: 'delta'; text: string }
  | { kind: 'done' }
  | { kind: 'error'; code: string | null; message: string }
  | { kind: 'other' };

const chunkSchema = z.looseObject({
  choices: z.array(z.looseObject({ delta: z.looseObject({ content: z.string().nullish() }).nullish() })).optional(),
  error: z.looseObject({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

/** Interprets one event's data. Unknown shapes are `other` (providers add fields and keep-alive comments). */
export function parseChatEvent(data: string): ChatStreamEvent {
  const trimmed = data.trim();
  if (trimmed === '[DONE]') return { kind: 'done' };
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return { kind: 'other' };
  }
  const parsed = chunkSchema.safeParse(json);
  if (!parsed.success) return { kind: 'other' };
  if (parsed.data.error) return { kind: 'error', code: parsed.data.error.code ?? null, message: parsed.data.error.message ?? 'The model stopped with an error.' };
  const text = (parsed.data.choices ?? []).map((c) => c.delta?.content ?? '').join('');
  return text === '' ? { kind: 'other' } : { kind: 'delta', text };
}

/**
 * Splits a byte-chunked SSE stream (already decoded to text) into the data of each event. Handles `\n`, `\r\n` and
 * events split across chunks; multi-line data is joined with `\n` as the SSE spec says; comments are skipped.
 */
export class SseSplitter {
  private buffer = '';
  private data: string[] = [];

  /** Feeds more text; returns the data of every event completed by it. */
  push(text: string): string[] {
    this.buffer += text;
    const out: string[] = [];
    for (;;) {
      const newline = this.buffer.indexOf('\n');
      if (newline < 0) break;
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      if (line === '') {
        if (this.data.length > 0) out.push(this.data.join('\n'));
        this.data = [];
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
    }
    return out;
  }

  /** The last event when the stream ends without a blank line. */
  end(): string[] {
    const rest = this.push('\n\n');
    this.buffer = '';
    return rest;
  }
}

/** An upstream chat message as the Worker forwards it and the PWA builds it. */
export const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().min(1).max(32_000),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** Total characters a chat request may carry (a generous token budget is ~24k tokens; this bounds cost and abuse). */
export const CHAT_MAX_TOTAL_CHARS = 96_000;

/** The body of POST /api/chat: the conversation so far, the last message the person's question. */
export const chatRequestSchema = z
  .object({ messages: z.array(chatMessageSchema).min(1).max(60) })
  .refine((body) => body.messages.reduce((n, m) => n + m.content.length, 0) <= CHAT_MAX_TOTAL_CHARS, {
    message: `messages together must be at most ${CHAT_MAX_TOTAL_CHARS} characters`,
  })
  .refine((body) => body.messages.at(-1)?.role === 'user', { message: 'the last message must be the question (role user)' });
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** Usage headers of /api/chat answers (also on the 429 when the day's messages are used up). */
export const USAGE_HEADERS = {
  used: 'X-Usage-Messages-Used',
  limit: 'X-Usage-Messages-Limit',
  remaining: 'X-Usage-Messages-Remaining',
  resetsAt: 'X-Usage-Resets-At',
} as const;
