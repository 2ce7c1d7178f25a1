import Database from 'better-sqlite3';
const times = new Map<string, { ms: number; n: number }>();
const add = (k: string, ms: number) => { const t = times.get(k) ?? { ms: 0, n: 0 }; t.ms += ms; t.n++; times.set(k, t); };
const proto = Database.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
const origPrepare = proto.prepare!;
proto.prepare = function (this: unknown, sql: unknown) {
  const stmt = origPrepare.call(this, sql) as Record<string, (...a: unknown[]) => unknown>;
  for (const m of ['run', 'get', 'all']) {
    const f = stmt[m]!.bind(stmt);
    stmt[m] = (...a: unknown[]) => { const t = performance.now(); try { return f(...a); } finally { add(`${m} ${String(sql).slice(0, 70)}`, performance.now() - t); } };
  }
  return stmt;
};
const origExec = proto.exec!;
proto.exec = function (this: unknown, sql: unknown) { const t = performance.now(); try { return origExec.call(this, sql); } finally { add(`exec ${String(sql).slice(0, 40)}`, performance.now() - t); } };
const origPragma = proto.pragma!;
proto.pragma = function (this: unknown, ...a: unknown[]) { const t = performance.now(); try { return origPragma.apply(this, a); } finally { add(`pragma ${String(a[0])}`, performance.now() - t); } };
const { COMMANDS } = await import('/work/wt/cli/shared/cli/commands');
const { cliHome } = await import('/work/wt/cli/shared/cli/home');
const t0 = performance.now();
const r = await COMMANDS.import!({ positionals: [process.argv[2]!], flags: { 'no-push': true, 'no-embed': true, json: true }, home: cliHome({ COGZY_HOME: process.argv[3] }) });
const total = performance.now() - t0;
console.log(JSON.stringify(r.json).slice(0, 200));
console.log('total', total.toFixed(0), 'ms; rss peak MB', (process.resourceUsage().maxRSS / 1024).toFixed(0));
let sum = 0;
for (const [k, t] of [...times].sort((a, b) => b[1].ms - a[1].ms)) { sum += t.ms; if (t.ms > 20) console.log(t.ms.toFixed(0).padStart(7), String(t.n).padStart(8), k); }
console.log('sqlite sum', sum.toFixed(0));
