/**
 * Node identity on another thread. The importer's parse thread hands each batch's texts to `identityClient(port)`,
 * and carries on parsing the next batch while the other end (`serveIdentity(port, digest)`: a node worker_thread
 * or a browser Worker) normalises, encodes and hashes them. The same code runs on both platforms: each side is given
 * a port (a MessagePort, a browser Worker, or a worker's own scope), never a platform global.
 *
 * The messages are flat lists of strings (cheap to clone: no object per node), checked by zod on arrival at both
 * ends. What comes back is one hex id per node, exactly what `nodeIds` gives on the calling thread.
 */
import { z } from 'zod';
import { AppError, appErrorDataSchema, toAppError } from '../../errors';
import { NODE_KINDS, providerSchema } from '../../model';
import { nodeIds, type Digest, type IdentityRequest, type IdentityText, type NodeIdentifier } from '../identity';

/** What both ends need of a port: MessagePort, Worker and DedicatedWorkerGlobalScope all have it. */
export interface IdentityPort {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  /** MessagePort: delivery starts only after start() when listening with addEventListener. */
  start?(): void;
}

const requestSchema = z
  .object({
    type: z.literal('identify'),
    id: z.number().int(),
    providers: z.array(providerSchema),
    conversationIds: z.array(z.string()),
    /** Nodes per conversation. */
    counts: z.array(z.number().int().nonnegative()),
    kinds: z.array(z.enum(NODE_KINDS)),
    humans: z.array(z.string()),
    assistants: z.array(z.string().nullable()),
  })
  .refine(
    (m) =>
      m.conversationIds.length === m.providers.length &&
      m.counts.length === m.providers.length &&
      m.humans.length === m.kinds.length &&
      m.assistants.length === m.kinds.length &&
      m.counts.reduce((sum, n) => sum + n, 0) === m.kinds.length,
    'the lists of an identity request differ in length',
  );
type Request = z.infer<typeof requestSchema>;

const responseSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ids'), id: z.number().int(), ids: z.array(z.string().regex(/^[0-9a-f]{64}$/)) }),
  z.object({ type: z.literal('failed'), id: z.number().int(), error: appErrorDataSchema }),
]);
type Response = z.infer<typeof responseSchema>;

function toRequest(id: number, requests: readonly IdentityRequest[]): Request {
  const message: Request = { type: 'identify', id, providers: [], conversationIds: [], counts: [], kinds: [], humans: [], assistants: [] };
  for (const request of requests) {
    message.providers.push(request.provider);
    message.conversationIds.push(request.conversationId);
    message.counts.push(request.texts.length);
    for (const text of request.texts) {
      message.kinds.push(text.kind);
      message.humans.push(text.human);
      message.assistants.push(text.assistant);
    }
  }
  return message;
}

/** The other thread's side: answers every identity request arriving on `port`, in order. */
export function serveIdentity(port: IdentityPort, digest: Digest): () => void {
  let queue = Promise.resolve();
  const listener = (event: { readonly data: unknown }): void => {
    const parsed = requestSchema.safeParse(event.data);
    if (!parsed.success) {
      const id = typeof event.data === 'object' && event.data !== null && 'id' in event.data && typeof event.data.id === 'number' ? event.data.id : -1;
      port.postMessage({ type: 'failed', id, error: new AppError('BAD_REQUEST', { detail: parsed.error.message }).toData() } satisfies Response);
      return;
    }
    const request = parsed.data;
    queue = queue.then(async () => {
      try {
        const ids: string[] = [];
        let at = 0;
        for (let c = 0; c < request.providers.length; c += 1) {
          const count = request.counts[c] as number;
          const texts: IdentityText[] = [];
          for (let n = at; n < at + count; n += 1) {
            texts.push({ kind: request.kinds[n] as IdentityText['kind'], human: request.humans[n] as string, assistant: request.assistants[n] ?? null });
          }
          at += count;
          ids.push(...(await nodeIds(request.providers[c] as IdentityRequest['provider'], request.conversationIds[c] as string, texts, digest)));
        }
        port.postMessage({ type: 'ids', id: request.id, ids } satisfies Response);
      } catch (error) {
        port.postMessage({ type: 'failed', id: request.id, error: toAppError(error).toData() } satisfies Response);
      }
    });
  };
  port.addEventListener('message', listener);
  port.start?.();
  return () => port.removeEventListener('message', listener);
}

export interface IdentityClient {
  readonly identify: NodeIdentifier;
  /** Fails what is still waiting (e.g. the worker died) and stops listening. */
  close(error?: AppError): void;
}

/** The parse thread's side: sends each batch's texts to the port and resolves with the ids that come back. */
export function identityClient(port: IdentityPort): IdentityClient {
  let next = 0;
  let closed: AppError | null = null;
  const waiting = new Map<number, { resolve: (ids: string[][]) => void; reject: (error: AppError) => void; counts: readonly number[] }>();
  const listener = (event: { readonly data: unknown }): void => {
    const parsed = responseSchema.safeParse(event.data);
    if (!parsed.success) {
      close(new AppError('INTERNAL', { detail: `the identity worker answered something unexpected: ${parsed.error.message}` }));
      return;
    }
    const response = parsed.data;
    const entry = waiting.get(response.id);
    if (entry === undefined) return;
    waiting.delete(response.id);
    if (response.type === 'failed') {
      entry.reject(AppError.fromData(response.error));
      return;
    }
    const total = entry.counts.reduce((sum, n) => sum + n, 0);
    if (response.ids.length !== total) {
      entry.reject(new AppError('INTERNAL', { detail: `the identity worker returned ${response.ids.length} ids for ${total} nodes` }));
      return;
    }
    const out: string[][] = [];
    let at = 0;
    for (const count of entry.counts) {
      out.push(response.ids.slice(at, at + count));
      at += count;
    }
    entry.resolve(out);
  };
  const close = (error = new AppError('INTERNAL', { detail: 'the identity worker was closed' })): void => {
    if (closed !== null) return;
    closed = error;
    port.removeEventListener('message', listener);
    for (const entry of waiting.values()) entry.reject(error);
    waiting.clear();
  };
  port.addEventListener('message', listener);
  port.start?.();
  return {
    identify: (requests) => {
      if (closed !== null) return Promise.reject(closed);
      const id = next;
      next += 1;
      return new Promise<string[][]>((resolve, reject) => {
        waiting.set(id, { resolve, reject, counts: requests.map((request) => request.texts.length) });
        port.postMessage(toRequest(id, requests));
      });
    },
    close,
  };
}
