/**
 * `npm run screenshots`: captures the manifest's install-dialog screenshots (web/public/screenshots/wide.png,
 * 1280×800, and narrow.png, 390×844) from the production build in Debian's chromium, with a small written history
 * (no real person's data). Run `npm run build` first. Re-run when the look of the app changes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { importThroughUi, launchChromium } from '../support/browser';
import { serveStatic } from '../support/browser-server';

const root = resolve(import.meta.dirname, '..', '..');
const out = join(root, 'web', 'public', 'screenshots');

/** A few conversations of the kind people have, as a ChatGPT export. */
const TALKS: readonly { title: string; day: number; turns: readonly [string, string][] }[] = [
  {
    title: 'Choosing a database for the side project',
    day: 0,
    turns: [
      ['Should I use Postgres or SQLite for a small habit-tracking app with one server?', 'For one server and modest writes, **SQLite** is simpler: no separate service, easy backups, and WAL mode handles concurrent reads well. Move to Postgres when you need several app servers writing at once.'],
      ['What about backups with SQLite?', 'Use the online backup API or `VACUUM INTO` nightly, and copy the file off the machine. Litestream can stream the WAL to object storage continuously.'],
    ],
  },
  {
    title: 'Sourdough starter troubleshooting',
    day: 3,
    turns: [['My sourdough starter smells like nail polish remover. Is it dead?', 'No: an acetone smell means it is hungry. Feed it more often (every 12 hours) at a 1:2:2 ratio and keep it a little warmer.']],
  },
  {
    title: 'Planning a week in Lisbon',
    day: 9,
    turns: [['Plan five days in Lisbon in April with one day trip.', 'Day 1 Alfama and the castle; day 2 Belém; day 3 Sintra (go early, Pena Palace first); day 4 LX Factory and Príncipe Real; day 5 Cascais by train along the coast.']],
  },
  {
    title: 'Database indexing for the orders table',
    day: 14,
    turns: [['Queries on orders by customer and date are slow. Which index?', 'A composite index on `(customer_id, created_at)` serves both the filter and the sort. Check the plan with `EXPLAIN ANALYZE` before and after.']],
  },
  {
    title: 'Running plan for a first half marathon',
    day: 20,
    turns: [['Twelve-week plan for a first half marathon, running three days a week?', 'Two easy runs and one long run a week; grow the long run from 6 km to 18 km, with a lighter week every fourth week and a two-week taper.']],
  },
  {
    title: 'Explaining database transactions to a junior developer',
    day: 27,
    turns: [['How do I explain transactions simply?', 'A transaction is all-or-nothing: either every change in it is saved, or none is. Isolation keeps two people from seeing each other’s half-finished work.']],
  },
];

export function chatgptExportForShots(): string {
  const base = 1_730_000_000;
  return JSON.stringify(
    TALKS.map((talk, c) => {
      const start = base + talk.day * 86_400;
      const mapping: Record<string, unknown> = { root: { id: 'root', message: null, parent: null, children: ['u0'] } };
      talk.turns.forEach(([user, reply], t) => {
        const next = t + 1 < talk.turns.length ? [`u${t + 1}`] : [];
        mapping[`u${t}`] = { id: `u${t}`, parent: t === 0 ? 'root' : `a${t - 1}`, children: [`a${t}`], message: { id: `mu${c}-${t}`, author: { role: 'user' }, create_time: start + t * 60, content: { content_type: 'text', parts: [user] }, metadata: {} } };
        mapping[`a${t}`] = { id: `a${t}`, parent: `u${t}`, children: next, message: { id: `ma${c}-${t}`, author: { role: 'assistant' }, create_time: start + t * 60 + 20, content: { content_type: 'text', parts: [reply] }, metadata: {} } };
      });
      return { id: `shot-${c}`, conversation_id: `shot-${c}`, title: talk.title, create_time: start, update_time: start + 600, current_node: `a${talk.turns.length - 1}`, mapping };
    }),
  );
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'cogzy-screenshots-'));
  const file = join(work, 'conversations.json');
  writeFileSync(file, chatgptExportForShots());
  const server = await serveStatic(join(root, 'dist'));
  mkdirSync(out, { recursive: true });
  try {
    for (const shot of [
      { name: 'wide.png', viewport: { width: 1280, height: 800 } },
      { name: 'narrow.png', viewport: { width: 390, height: 844 } },
    ]) {
      const profile = join(work, shot.name);
      const { context, page } = await launchChromium(profile, { viewport: shot.viewport, colorScheme: 'light' });
      await page.goto(new URL('#/import', server.url).href);
      await importThroughUi(page, [file]);
      await page.goto(new URL(`#/search?q=${encodeURIComponent('plan')}`, server.url).href);
      await page.locator('#search-results .result').first().waitFor({ timeout: 30_000 });
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.screenshot({ path: join(out, shot.name) });
      await context.close();
      console.log(`wrote ${join(out, shot.name)} (${shot.viewport.width}×${shot.viewport.height})`);
    }
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('capture-screenshots.ts')) await main();
