/**
 * Node's side of the identity worker (shared/import/core/identity-port.ts): a node MessagePort as an IdentityPort,
 * and `startIdentityWorker()`, which the import tools use to hash on a second core while they parse.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { AppError } from '../errors';
import { identityClient, type IdentityClient, type IdentityPort } from '../import/core/identity-port';

/** A node MessagePort speaks EventEmitter: this gives it the listener shape the shared code expects. */
export function nodeIdentityPort(port: MessagePort): IdentityPort {
  const wrapped = new Map<(event: { readonly data: unknown }) => void, (data: unknown) => void>();
  return {
    postMessage: (message) => port.postMessage(message),
    addEventListener: (_type, listener) => {
      const onData = (data: unknown): void => listener({ data });
      wrapped.set(listener, onData);
      port.on('message', onData);
    },
    removeEventListener: (_type, listener) => {
      const onData = wrapped.get(listener);
      if (onData === undefined) return;
      wrapped.delete(listener);
      port.off('message', onData);
    },
  };
}

export interface IdentityWorker extends IdentityClient {
  /** Stops the worker (pending requests fail). */
  stop(): Promise<void>;
}

/** Starts the identity worker thread. */
export function startIdentityWorker(): IdentityWorker {
  const channel = new MessageChannel();
  const worker = new Worker(new URL('./import-identity-worker.mjs', import.meta.url), {
    workerData: { port: channel.port2 },
    transferList: [channel.port2],
  });
  const client = identityClient(nodeIdentityPort(channel.port1));
  worker.on('error', (error) => client.close(new AppError('INTERNAL', { detail: `the identity worker failed: ${error.message}`, cause: error })));
  worker.on('exit', (code) => client.close(new AppError('INTERNAL', { detail: `the identity worker stopped (exit code ${code})` })));
  return {
    identify: client.identify,
    close: client.close,
    stop: async () => {
      client.close();
      channel.port1.close();
      await worker.terminate();
    },
  };
}
