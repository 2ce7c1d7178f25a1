/**
 * `npm run import -- <file> [more files] [--json]`: runs the same importer the app uses on export files (zip, JSON,
 * CSV, HTML) and prints a report. Files are imported in order into one in-memory vault (a set of node ids), so
 * importing an export and then a later one shows exactly what is new. Exit code 1 when an import fails.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { ERROR_MESSAGES, toAppError } from '../errors';
import { importExport, type ImportReport } from '../import';
import { fileSource } from './file-source';
import { PROVIDER_LABELS } from '../model';

/** A Buffer is a Uint8Array: returned as it is, not copied once more per node. */
const digest = (bytes: Uint8Array): Promise<Uint8Array> => Promise.resolve(createHash('sha256').update(bytes).digest());

/**
 * The in-memory vault: the first 64 bits of each node id (a million nodes collide with odds of about 3e-8), in an
 * open-addressing table of 32-bit halves. A Set of BigInts took about 50 bytes a node (object, hash entry, growth);
 * this takes 8 bytes a slot, filled up to three quarters (11-21 bytes a node), so a 1 GB export's ids do not
 * dominate the tool's memory (333k nodes: 4 MB; at half full it was 8, and 12 while growing).
 */
class FingerprintSet {
  private table = new Uint32Array(2 * 1024);
  private count = 0;
  /** The all-zero fingerprint marks an empty slot, so it is kept aside. */
  private hasZero = false;

  has(id: string): boolean {
    const hi = parseInt(id.slice(0, 8), 16) >>> 0;
    const lo = parseInt(id.slice(8, 16), 16) >>> 0;
    if (hi === 0 && lo === 0) return this.hasZero;
    const at = this.slot(hi, lo);
    return this.table[at] !== 0 || this.table[at + 1] !== 0;
  }

  add(id: string): void {
    const hi = parseInt(id.slice(0, 8), 16) >>> 0;
    const lo = parseInt(id.slice(8, 16), 16) >>> 0;
    if (hi === 0 && lo === 0) {
      this.hasZero = true;
      return;
    }
    this.insert(hi, lo);
  }

  /** The slot holding (hi, lo), or the empty slot where it would go. */
  private slot(hi: number, lo: number): number {
    const mask = this.table.length / 2 - 1;
    let at = lo & mask;
    for (;;) {
      const a = this.table[2 * at] as number;
      const b = this.table[2 * at + 1] as number;
      if ((a === 0 && b === 0) || (a === hi && b === lo)) return 2 * at;
      at = (at + 1) & mask;
    }
  }

  private insert(hi: number, lo: number): void {
    const at = this.slot(hi, lo);
    if (this.table[at] !== 0 || this.table[at + 1] !== 0) return;
    this.table[at] = hi;
    this.table[at + 1] = lo;
    this.count += 1;
    if (this.count * 4 > (this.table.length / 2) * 3) this.grow();
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.count = 0;
    for (let at = 0; at < old.length; at += 2) {
      const hi = old[at] as number;
      const lo = old[at + 1] as number;
      if (hi !== 0 || lo !== 0) this.insert(hi, lo);
    }
  }
}

/**
 * Raw characters per importer batch (the importer's default, 2 M, suits callers that commit a transaction per
 * batch). A batch's conversations stay alive until it is yielded: small batches let them die in the young
 * generation instead of being promoted (at 512 K, a 1 GB import peaked 30-50 MB higher). 1: every conversation
 * leaves as soon as it is read (against 64 K, two alternated 1 GB pairs at load 7.5-8: peak RSS 184/184 and
 * 169/179 MB, 37.4/41.3 and 27.0/29.3 s).
 */
const CLI_BATCH_CHARS = 1;

/** Imports one file into `known`. */
async function importFile(path: string, known: FingerprintSet): Promise<ImportReport> {
  const importer = importExport(fileSource(path), {
    digest,
    // Nothing is committed per batch here, so small batches cost nothing and keep the heap small.
    batchChars: CLI_BATCH_CHARS,
    now: () => performance.now(),
    isKnown: (ids) => Promise.resolve(ids.map((id) => known.has(id))),
  });
  for (;;) {
    const step = await importer.next();
    if (step.done === true) return step.value;
    for (const item of step.value.items) for (const node of item.nodes) known.add(node.id);
  }
}

const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .filter(([, n]) => n > 0)
    .map(([key, n]) => `${key} ${n}`)
    .join(', ') || 'none';

function human(path: string, report: ImportReport): string {
  const mb = report.bytes / 1e6;
  const seconds = report.ms / 1000;
  const provider = report.providers.map((p) => PROVIDER_LABELS[p]).join(' + ') || 'unknown provider';
  const lines = [
    `${path}: ${provider}, ${report.status}`,
    `  conversations ${report.conversations}, new nodes ${report.nodes}, duplicates ${report.duplicates}, records ${report.records}`,
    `  skipped: ${counts(report.skipped)}`,
    `  warnings: ${counts(report.warnings)}`,
    `  ${mb.toFixed(1)} MB in ${seconds.toFixed(2)} s (${(mb / Math.max(seconds, 1e-6)).toFixed(1)} MB/s)`,
  ];
  for (const notice of report.notices) lines.push(`  note: ${notice.message}`);
  if (report.error) lines.push(`  ${report.error.message}${report.error.detail ? ` (${report.error.detail})` : ''}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const files = args.filter((arg) => arg !== '--json');
  if (files.length === 0) {
    process.stderr.write('Usage: npm run import -- <export.zip|conversations.json> [more files] [--json]\n');
    return 2;
  }
  const known = new FingerprintSet();
  const results: { file: string; report: ImportReport }[] = [];
  for (const file of files) {
    try {
      statSync(file);
    } catch (error) {
      // A missing file: the importer itself reports read failures as values, so nothing else is caught here.
      process.stderr.write(`${file}: ${ERROR_MESSAGES.IMPORT_READ_FAILED} (${toAppError(error).detail ?? ''})\n`);
      return 1;
    }
    const report = await importFile(file, known);
    results.push({ file, report });
    if (!json) process.stdout.write(`${human(file, report)}\n`);
  }
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  if (json) process.stdout.write(`${JSON.stringify({ results, peakRssBytes })}\n`);
  else process.stdout.write(`peak RSS ${(peakRssBytes / 1e6).toFixed(0)} MB\n`);
  return results.every((r) => r.report.status === 'complete') ? 0 : 1;
}

process.exitCode = await main();
