/** The local OpenAI-compatible stand-in that tests and `npm start` use in place of the third-party API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosine } from '../../shared/embed/vector-math';
import { hashedEmbedding, startOpenAiServer, type OpenAiServer } from '../support/openai-server';

describe('OpenAI-compatible stand-in server', () => {
  let server: OpenAiServer;
  beforeAll(async () => {
    server = await startOpenAiServer();
  });
  afterAll(() => server.close());

  it('gives deterministic unit vectors whose similarity follows shared words', () => {
    const a = hashedEmbedding('my cat eats fish', 256);
    expect(hashedEmbedding('my cat eats fish', 256)).toEqual(a);
    expect(cosine(a, a)).toBeCloseTo(1, 6);
    expect(cosine(a, hashedEmbedding('the cat eats', 256))).toBeGreaterThan(cosine(a, hashedEmbedding('quarterly tax filing', 256)));
  });

  it('answers chat completions, plain and streamed as server-sent events', async () => {
    const body = { model: 'stand-in-chat', messages: [{ role: 'user', content: 'What did I ask about cats?' }] };
    const plain = (await (await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(body) })).json()) as {
      choices: { message: { content: string } }[];
    };
    const answer = plain.choices[0]?.message.content ?? '';
    expect(answer).toContain('What did I ask about cats?');
    const streamed = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ ...body, stream: true }) });
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    const events = (await streamed.text()).split('\n\n').filter((e) => e.startsWith('data: '));
    expect(events.at(-1)).toBe('data: [DONE]');
    const text = events
      .slice(0, -1)
      .map((e) => (JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toBe(answer);
  });

  it('rejects a malformed request the way the real API does', async () => {
    const response = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'm' }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});
