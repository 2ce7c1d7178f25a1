/**
 * Cost checks that hold on a loaded, shared machine: never an absolute time, only how cost grows with input size.
 * `costGrowth` measures one input and another `factor` times larger, alternating them and keeping each one's
 * cheapest run. It counts this process's CPU time, not wall-clock time, so waiting for a core while other work
 * runs does not count. Linear code grows about `factor`-fold, quadratic code factor²-fold, so a budget of a few
 * times `factor` passes the first with room to spare and fails the second.
 */
async function cpuMs(run: () => unknown): Promise<number> {
  const start = process.cpuUsage();
  await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

export async function costGrowth<T>(build: (size: number) => T, run: (input: T) => unknown, size: number, factor: number, repeats = 3): Promise<number> {
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
