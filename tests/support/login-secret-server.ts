/**
 * Worker tests run inside workerd, which refuses to compile WebAssembly from bytes, so they cannot run hash-wasm
 * themselves. This node-side server runs the product's own derivation (shared/auth/login-secret.ts) for them:
 * POST {password, kdf} → {secret}. Started by tests/worker/global-setup.ts on a free loopback port.
 */
import { createServer, type Server } from 'node:http';
import { z } from 'zod';
import { deriveLoginSecret, loginKdfSchema } from '../../shared/auth/login-secret';

const requestSchema = z.object({ password: z.string(), kdf: loginKdfSchema });

export interface LoginSecretServer {
  url: string;
  close(): Promise<void>;
}

export async function startLoginSecretServer(): Promise<LoginSecretServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const parsed = requestSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      if (!parsed.success) {
        res.writeHead(400).end(parsed.error.message);
        return;
      }
      deriveLoginSecret(parsed.data.password, parsed.data.kdf).then(
        // No keep-alive: workerd would otherwise reuse a connection node has just timed out ("Network connection lost").
        (secret) => res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' }).end(JSON.stringify({ secret })),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
