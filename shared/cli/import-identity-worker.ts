/**
 * The node worker_thread that gives imported nodes their ids for `import-cli.ts` (see
 * shared/import/core/identity-port.ts): it receives a MessagePort in `workerData.port` and serves identity requests
 * on it with node's SHA-256, while the main thread parses the next batch.
 */
import { createHash } from 'node:crypto';
import { MessagePort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { serveIdentity } from '../import/core/identity-port';
import { nodeIdentityPort } from './import-identity-port';

const { port } = z.object({ port: z.instanceof(MessagePort) }).parse(workerData);
serveIdentity(nodeIdentityPort(port), (bytes) => Promise.resolve(new Uint8Array(createHash('sha256').update(bytes).digest())));
