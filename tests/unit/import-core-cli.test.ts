import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ERROR_MESSAGES } from '../../shared/errors';
import { generateExport } from '../support/generate-chatgpt';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'cogzy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'shared/cli/import-cli.ts'), ...args], { cwd: root, encoding: 'utf8' });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe('npm run import (node CLI)', () => {
  const t1 = generateExport({ seed: 31, conversations: 3 });
  const t2 = generateExport({ seed: 31, conversations: 3, grow: 2, extraConversations: 1 });
  const first = join(dir, 't1.json');
  const later = join(dir, 't2.json');
  writeFileSync(first, t1.json);
  writeFileSync(later, t2.json);

  it('prints a human report and, importing a later export after the first, only the new nodes', () => {
    const run = cli(first, later);
    expect(run.code).toBe(0);
    const nodes = [...run.out.matchAll(/new nodes (\d+), duplicates (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const t1Nodes = t1.activeNodes + t1.inactiveNodes;
    expect(nodes).toEqual([
      [t1Nodes, 0],
      [t2.activeNodes + t2.inactiveNodes - t1Nodes, t1Nodes],
    ]);
    expect(run.out).toMatch(/ChatGPT, complete/);
    expect(run.out).toMatch(/MB\/s/);
  });

  it('prints JSON with --json and fails with the human sentence on a broken file', () => {
    const json = cli(first, '--json');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as { results: { report: { status: string; conversations: number } }[]; peakRssBytes: number };
    expect(parsed.results[0]?.report).toMatchObject({ status: 'complete', conversations: 3 });
    expect(parsed.peakRssBytes).toBeGreaterThan(0);

    const broken = join(dir, 'broken.json');
    writeFileSync(broken, t1.json.slice(0, t1.json.length / 2));
    const failed = cli(broken);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain(ERROR_MESSAGES.IMPORT_TRUNCATED_JSON);
  });
});
