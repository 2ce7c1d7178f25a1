/**
 * Runs the local OpenAI-compatible stand-in (tests/support/openai-server.ts) until interrupted, for `npm start`
 * and manual testing:
 *   node node_modules/tsx/dist/cli.mjs tests/tools/openai-server.ts [--port 8787] [--latency 0] [--rate-429 0]
 *     [--rate-500 0] [--rate-hang 0] [--dimensions 256] [--api-key KEY]
 * Env vars OPENAI_STUB_PORT, OPENAI_STUB_LATENCY_MS, OPENAI_STUB_API_KEY do the same. Prints `READY <url>`.
 */
import { parseArgs } from 'node:util';
import { startOpenAiServer } from '../support/openai-server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.OPENAI_STUB_PORT ?? '0' },
    host: { type: 'string', default: '127.0.0.1' },
    latency: { type: 'string', default: process.env.OPENAI_STUB_LATENCY_MS ?? '0' },
    'rate-429': { type: 'string', default: '0' },
    'rate-500': { type: 'string', default: '0' },
    'rate-hang': { type: 'string', default: '0' },
    dimensions: { type: 'string', default: '256' },
    'api-key': { type: 'string', default: process.env.OPENAI_STUB_API_KEY ?? '' },
  },
});

const server = await startOpenAiServer({
  host: values.host,
  port: Number(values.port),
  latencyMs: Number(values.latency),
  rate429: Number(values['rate-429']),
  rate500: Number(values['rate-500']),
  rateHang: Number(values['rate-hang']),
  defaultDimensions: Number(values.dimensions),
  apiKey: values['api-key'] || null,
});
console.log(`READY ${server.url}`);
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
