/**
 * Cost checks that hold on a loaded, shared machine: never an absolute time, only how cost grows with input size.
 * `costGrowth` measures one input and another `factor` times larger, alternating them and keeping each one's
 * cheapest run. It counts this process's CPU time, not wall-clock time, so waiting for a core while other work
 * runs does not count. Linear code grows about `factor`-fold, quadratic code factor²-fold, so a budget of a few
 * times `factor` passes the first with room to spare and fails the second. Each measured run starts after a full
 * garbage collection, and the cheapest of `repeats` runs counts.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A full collection before every measured run, so one run does not pay for the garbage of the ones before it (on a
// loaded machine that made a linear parser look 50-fold slower on 8 times the input once in a few runs).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function cpuMs(run: () => unknown): Promise<number> {
  collectGarbage();
  const start = process.cpuUsage();
  await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

export async function costGrowth<T>(build: (size: number) => T, run: (input: T) => unknown, size: number, factor: number, repeats = 5): Promise<number> {
  const small = build(size);
  const large = build(size * factor);
  // Warm-up: compile the code paths (and let the heap grow) for both sizes before measuring either.
  await run(small);
  await run(large);
  let fastestSmall = Infinity;
  let fastestLarge = Infinity;
  for (let round = 0; round < repeats; round += 1) {
    fastestSmall = Math.min(fastestSmall, await cpuMs(() => run(small)));
    fastestLarge = Math.min(fastestLarge, await cpuMs(() => run(large)));
  }
  // A floor on the small cost keeps a sub-millisecond baseline from turning timer jitter into a huge ratio.
  return fastestLarge / Math.max(fastestSmall, 1);
}
