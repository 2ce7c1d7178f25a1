/**
 * Bench-only Worker entry (bench/load-day.bench.ts runs it under `wrangler dev`): the real Worker, with its D1
 * binding wrapped so every statement's `meta.rows_read` / `rows_written` (what D1 bills) and the database size
 * after it are summed. `GET /__meter` reads the totals, `POST /__meter/reset` zeroes them. Never deployed.
 */
import worker from '../../worker/src/index';
import type { Env } from '../../worker/src/env';

interface Totals {
  queries: number;
  rowsRead: number;
  rowsWritten: number;
  sizeAfter: number;
}

const totals: Totals = { queries: 0, rowsRead: 0, rowsWritten: 0, sizeAfter: 0 };

function count(meta: D1Meta | undefined): void {
  if (meta === undefined) return;
  totals.queries += 1;
  totals.rowsRead += meta.rows_read;
  totals.rowsWritten += meta.rows_written;
  totals.sizeAfter = Math.max(totals.sizeAfter, meta.size_after);
}

/** Patches one statement (and the ones its bind() returns) to count; `first` goes through `all` to see the meta. */
function metered(statement: D1PreparedStatement): D1PreparedStatement {
  const bind = statement.bind.bind(statement);
  const all = statement.all.bind(statement);
  const run = statement.run.bind(statement);
  statement.bind = (...values: unknown[]) => metered(bind(...values));
  statement.all = async <T>() => {
    const result = await all<T>();
    count(result.meta);
    return result;
  };
  statement.run = async <T>() => {
    const result = await run<T>();
    count(result.meta);
    return result;
  };
  statement.first = (async (column?: string) => {
    const result = await all<Record<string, unknown>>();
    count(result.meta);
    const row = result.results[0];
    if (row === undefined) return null;
    return column === undefined ? row : (row[column] ?? null);
  });
  return statement;
}

function meteredDb(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => metered(target.prepare(sql));
      if (prop === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements);
          for (const result of results) count(result.meta);
          return results;
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/__meter') {
      if (request.method === 'POST') Object.assign(totals, { queries: 0, rowsRead: 0, rowsWritten: 0 });
      return Response.json(totals);
    }
    return worker.fetch(request, { ...env, DB: meteredDb(env.DB) }, ctx);
  },
  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    await worker.scheduled(controller, { ...env, DB: meteredDb(env.DB) });
  },
} satisfies ExportedHandler<Env>;
