/** A seeded PRNG (mulberry32) as the engine's Random port, so a failing simulation seed replays exactly. */
import type { Random } from '../ports';

export interface SeededRandom extends Random {
  int(exclusiveMax: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const fraction = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (exclusiveMax: number): number => Math.floor(fraction() * exclusiveMax);
  return {
    fraction,
    int,
    chance: (probability) => fraction() < probability,
    pick: <T>(items: readonly T[]): T => items[int(items.length)]!,
    bytes: (length) => {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i += 1) out[i] = int(256);
      return out;
    },
  };
}
