/**
 * Runs one import in a worker thread whose heap is capped by its parent (tests/support/bounded-import.ts), so a
 * test can state a memory budget: the import either finishes inside it or the worker dies out of memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { bytesSource, runImport } from './import-helpers';

const input = z.object({ bytes: z.instanceof(Uint8Array), name: z.string() }).parse(workerData);
const run = await runImport(bytesSource(input.bytes, [64 * 1024], input.name));
parentPort?.postMessage({ status: run.report.status, code: run.report.error?.code ?? null, active: run.nodes.filter((node) => node.active).length, inactive: run.nodes.filter((node) => !node.active).length });
