/**
 * A tiny static server for the production build (dist/): the same files a static host serves, with the MIME types a
 * PWA needs (wasm, webmanifest) and index.html for unknown paths. Listens on a free port on 127.0.0.1.
 * With `apiTarget`, /api/* is proxied to that origin (a local `wrangler dev`), streamed both ways, as vite does in
 * `npm start`: the app and its API share one origin.
 */
import { createServer, request, type Server } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  readonly url: string;
  /** Serves another directory from now on (a new deploy at the same address). */
  setRoot(dir: string): void;
  close(): Promise<void>;
}

export interface StaticOptions {
  /** The origin /api/* goes to, read per request (the worker may start after this server). */
  apiTarget?: () => string | null;
}

export async function serveStatic(dir: string, options: StaticOptions = {}): Promise<StaticServer> {
  let root = resolve(dir);
  const server: Server = createServer((req, res) => {
    const target = options.apiTarget?.() ?? null;
    if (target !== null && (req.url ?? '').startsWith('/api/')) {
      const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
      return;
    }
    // A request target like `//x` is a valid path, not a URL: parse it against an origin, and answer 400 to anything
    // that still cannot be read rather than crash the server.
    let path: string;
    try {
      path = decodeURIComponent(new URL(`http://x${req.url ?? '/'}`).pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let file = normalize(join(root, path));
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(403).end();
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    // The service worker script must always be revalidated, like a real host does, so updates are noticed.
    const cache = file.endsWith('sw.js') || file.endsWith('.html') ? 'no-cache' : 'public, max-age=3600';
    res.writeHead(200, { 'content-type': type, 'cache-control': cache });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('static server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    setRoot: (next) => {
      root = resolve(next);
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
