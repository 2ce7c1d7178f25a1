/**
 * The Chromium part of bench/segment.bench.ts, run in a dedicated worker (where an import builds its segments): the
 * search bench's batches, built with buildSegment keeping its working arrays from one build to the next (as the
 * product does) and with them dropped before every build (as every build did before), alternating batch by batch;
 * and what a fresh typed array costs before its first use, per MB, by size.
 */
import { buildSegment, releaseSegmentScratch, type IndexDoc } from '../../web/src/search/keyword-index';
import { segmentBatches } from './batches';

export interface SegmentPageRequest {
  seed: number;
  batches: number;
  batch: number;
  rounds: number;
}

export interface SegmentPageResult {
  /** Wall ms per 1,000 nodes, one value per round. */
  kept: number[];
  fresh: number[];
  /** ms per MB of fresh Uint8Arrays of each size (KB), each touched once per 4 KB page. */
  allocation: Record<string, number>;
}

function allocationCost(kb: number): number {
  const bytes = kb * 1024;
  const total = 64 * 1024 * 1024;
  let sink = 0;
  const started = performance.now();
  for (let made = 0; made < total; made += bytes) {
    const array = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i += 4096) array[i] = 1;
    sink += array[0] ?? 0;
  }
  const ms = performance.now() - started;
  return sink > 0 ? ms / (total / 1024 / 1024) : Number.NaN;
}

function run(request: SegmentPageRequest): SegmentPageResult {
  const all = segmentBatches(request.seed, request.batches, request.batch);
  const perThousand = 1000 / request.batch / all.length;
  let sink = 0;
  const build = (docs: IndexDoc[], b: number, kept: boolean): number => {
    if (!kept) releaseSegmentScratch();
    const started = performance.now();
    sink += buildSegment(docs, b + 1).rows.length;
    return performance.now() - started;
  };
  // One untimed pass of each, so the first round does not pay for compilation.
  all.forEach((docs, b) => build(docs, b, b % 2 === 0));
  all.forEach((docs, b) => build(docs, b, b % 2 === 1));
  const kept: number[] = [];
  const fresh: number[] = [];
  for (let round = 0; round < request.rounds; round++) {
    let withKept = 0;
    let withFresh = 0;
    all.forEach((docs, b) => {
      // Every build leaves its arrays for the next (a kept build takes them); which variant goes first alternates.
      if ((b + round) % 2 === 0) {
        withFresh += build(docs, b, false);
        withKept += build(docs, b, true);
      } else {
        withKept += build(docs, b, true);
        withFresh += build(docs, b, false);
      }
    });
    kept.push(withKept * perThousand);
    fresh.push(withFresh * perThousand);
  }
  releaseSegmentScratch();
  const allocation: Record<string, number> = {};
  for (const kb of [16, 256, 1024, 4096]) {
    allocationCost(kb);
    allocation[`${kb}`] = allocationCost(kb);
  }
  if (sink === 0) throw new Error('nothing built');
  return { kept, fresh, allocation };
}

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<SegmentPageRequest>) => void) | null; postMessage(message: unknown): void };
scope.onmessage = (event) => {
  try {
    scope.postMessage({ ok: run(event.data) });
  } catch (error) {
    scope.postMessage({ error: String(error) });
  }
};
