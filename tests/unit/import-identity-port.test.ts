import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors';
import { identityClient, serveIdentity, type IdentityClient } from '../../shared/import/core/identity-port';
import { identifyWith } from '../../shared/import/identity';
import { nodeIdentityPort, startIdentityWorker } from '../../shared/cli/import-identity-port';
import { generateExport } from '../support/generate-chatgpt';
import { MemoryStore, bytesSource, nodeDigest, runImport, type ImportRun } from '../support/import-helpers';

const encode = (text: string) => new TextEncoder().encode(text);
const outcome = (run: ImportRun): string => {
  const { ms: _ms, ...report } = run.report;
  return JSON.stringify({ report, conversations: run.conversations, nodes: run.nodes, checkpoints: run.checkpoints });
};

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** Both ends of the identity protocol over a real MessageChannel, in this thread. */
function channel(): IdentityClient {
  const { port1, port2 } = new MessageChannel();
  const stop = serveIdentity(nodeIdentityPort(port2), nodeDigest);
  const client = identityClient(nodeIdentityPort(port1));
  closers.push(() => {
    client.close();
    stop();
    port1.close();
  });
  return client;
}

describe('node identity through a port', () => {
  const exported = generateExport({ seed: 5, conversations: 8 });
  const bytes = encode(exported.json);

  it('gives the same ids as hashing on the calling thread, repeats and non-ASCII included', async () => {
    const requests = [
      {
        provider: 'chatgpt' as const,
        conversationId: 'chatgpt:a',
        texts: [
          { kind: 'exchange' as const, human: 'continue', assistant: 'ok' },
          { kind: 'exchange' as const, human: 'continue', assistant: 'ok' },
          { kind: 'exchange' as const, human: 'cafe\u0301 東京 🚀', assistant: null },
        ],
      },
      { provider: 'claude' as const, conversationId: 'claude:b', texts: [] },
      { provider: 'grok' as const, conversationId: 'grok:c', texts: [{ kind: 'exchange' as const, human: 'x', assistant: 'y' }] },
    ];
    const local = await identifyWith(nodeDigest)(requests);
    expect(await channel().identify(requests)).toEqual(local);
    expect(new Set(local[0]).size).toBe(3);
  });

  it('imports exactly as without it: same batches, ids, report and checkpoints, also on a second import', async () => {
    const client = channel();
    const storeA = new MemoryStore();
    const storeB = new MemoryStore();
    for (const sizes of [[64 * 1024], [977]]) {
      const plain = await runImport(bytesSource(bytes, sizes), storeA, { batchSize: 3 });
      const ported = await runImport(bytesSource(bytes, sizes), storeB, { batchSize: 3, identify: client.identify });
      expect(outcome(ported)).toBe(outcome(plain));
    }
    expect(storeB.nodes.size).toBe(exported.activeNodes + exported.inactiveNodes);
  });

  it('fails the import clearly when the other side is gone, after delivering what was finished', async () => {
    const client = channel();
    client.close();
    const run = await runImport(bytesSource(bytes), new MemoryStore(), { batchSize: 2, identify: client.identify });
    expect(run.report.status).toBe('failed');
    expect(run.report.error?.code).toBe('INTERNAL');
    expect(run.nodes).toHaveLength(0);
  });

  it('answers a malformed request with a failure naming it, not silence', async () => {
    const { port1, port2 } = new MessageChannel();
    const stop = serveIdentity(nodeIdentityPort(port2), nodeDigest);
    closers.push(() => {
      stop();
      port1.close();
    });
    const answer = new Promise<unknown>((resolve) => port1.once('message', resolve));
    port1.postMessage({ type: 'identify', id: 4, providers: ['chatgpt'], conversationIds: ['x'], counts: [2], kinds: ['exchange'], humans: ['a'], assistants: [null] });
    expect(await answer).toMatchObject({ type: 'failed', id: 4, error: { code: 'BAD_REQUEST' } });
  });

  it('runs in a real worker thread (the import command line uses it)', async () => {
    const worker = startIdentityWorker();
    try {
      const ported = await runImport(bytesSource(bytes), new MemoryStore(), { identify: worker.identify });
      const plain = await runImport(bytesSource(bytes), new MemoryStore());
      expect(outcome(ported)).toBe(outcome(plain));
    } finally {
      await worker.stop();
    }
    await expect(worker.identify([])).rejects.toSatisfy(isAppError);
  });
});
