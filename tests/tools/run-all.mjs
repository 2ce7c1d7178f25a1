#!/usr/bin/env node
// `npm test`: runs every suite (unit, worker, browser) in turn, each through vitest with a JSON report, and ends
// with the one closing line CI reads: `N passed, N failed, N skipped`. Extra args are passed to every vitest run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const suites = [
  { name: 'unit', config: 'tests/vitest.unit.config.ts' },
  { name: 'worker', config: 'tests/vitest.worker.config.ts' },
  { name: 'browser', config: 'tests/vitest.e2e.config.ts' },
];
const only = process.env.SUITES ? new Set(process.env.SUITES.split(',')) : null;
const out = mkdtempSync(join(tmpdir(), 'cogzy-tests-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = [];
const failures = [];
const firstLines = (text) => String(text ?? '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').slice(0, 6).join('\n    ');

for (const suite of suites) {
  if (only && !only.has(suite.name)) continue;
  if (!existsSync(join(root, suite.config))) continue;
  const report = join(out, `${suite.name}.json`);
  console.log(`\n=== ${suite.name} tests (${suite.config}) ===`);
  const started = Date.now();
  const run = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', suite.config, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
    { cwd: root, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : '1' } },
  );
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (!existsSync(report)) {
    problems.push(`${suite.name}: vitest exited ${run.status} without a report`);
    totals.failed += 1;
    continue;
  }
  const json = JSON.parse(readFileSync(report, 'utf8'));
  const passed = json.numPassedTests ?? 0;
  const failed = (json.numFailedTests ?? 0) + (json.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  const skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  if (run.status !== 0 && failed === 0) {
    problems.push(`${suite.name}: vitest exited ${run.status}`);
    totals.failed += 1;
  }
  // Say what was skipped and why: the describe titles of skipped blocks carry the reason (e.g. fixtures absent).
  const skippedGroups = new Map();
  for (const file of json.testResults ?? []) {
    for (const test of file.assertionResults ?? []) {
      if (test.status !== 'skipped' && test.status !== 'pending' && test.status !== 'todo') continue;
      const group = (test.ancestorTitles ?? []).join(' > ') || test.title;
      skippedGroups.set(group, (skippedGroups.get(group) ?? 0) + 1);
    }
  }
  for (const [group, count] of skippedGroups) console.log(`skipped ${count}: ${group}`);
  // Name every failure again here, so the tail of a long CI log says what broke without scrolling back.
  for (const file of json.testResults ?? []) {
    const rel = String(file.name ?? '').replace(`${root}/`, '');
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) {
      failures.push(`${suite.name} ${rel}: ${firstLines(file.message)}`);
    }
    for (const test of file.assertionResults ?? []) {
      if (test.status !== 'failed') continue;
      const name = [...(test.ancestorTitles ?? []), test.title].join(' > ');
      failures.push(`${suite.name} ${rel} > ${name} (${Math.round(test.duration ?? 0)} ms): ${firstLines((test.failureMessages ?? []).join('\n'))}`);
    }
  }
  console.log(`--- ${suite.name}: ${passed} passed, ${failed} failed, ${skipped} skipped in ${seconds}s`);
}

for (const f of failures) console.log(`FAILED ${f}`);
for (const p of problems) console.log(`problem: ${p}`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
