/**
 * Calibrates the passphrase KDF to this device (C23): Argon2id at 64 MiB (never less, nor fewer than 3 passes) with as
 * many passes as take about a second here, measured on one pass; PBKDF2-SHA256 (at least 600,000 iterations, scaled
 * the same way) only where WebAssembly cannot run. Whoever unlocks later uses the parameters stored with the key, so
 * a fast laptop's choice costs a slow phone more: the cap keeps that within a few seconds.
 *
 *   calibrateKdf(options?): Promise<KeyKdf>
 */
import { argon2idBytes } from '../../../shared/argon2';
import { DEFAULT_ARGON2, FALLBACK_PBKDF2 } from '../../../shared/sync/keys';
import type { KeyKdf } from '../../../shared/sync/protocol';

export const KDF_TARGET_MS = 1000;
export const MAX_ARGON2_PASSES = 12;
const MAX_PBKDF2_ITERATIONS = 5_000_000;

export interface CalibrateOptions {
  targetMs?: number;
  now?: () => number;
  /** For tests: pretend WebAssembly is missing. */
  wasm?: boolean;
}

export async function calibrateKdf(options: CalibrateOptions = {}): Promise<KeyKdf> {
  const { targetMs = KDF_TARGET_MS, now = () => performance.now(), wasm = typeof WebAssembly !== 'undefined' } = options;
  const probe = crypto.getRandomValues(new Uint8Array(16));
  if (wasm && DEFAULT_ARGON2.name === 'Argon2id') {
    // A hash of a few KiB first, untimed: what starting the hashing costs (a worker, compiling the WASM) is not a pass.
    await argon2idBytes({ password: probe, salt: probe, parallelism: 1, iterations: 1, memoryKiB: 8, hashLength: 32 });
    const started = now();
    await argon2idBytes({ password: probe, salt: probe, parallelism: DEFAULT_ARGON2.parallelism, iterations: 1, memoryKiB: DEFAULT_ARGON2.memoryKiB, hashLength: 32 });
    const perPass = Math.max(1, now() - started);
    const iterations = Math.min(MAX_ARGON2_PASSES, Math.max(DEFAULT_ARGON2.iterations, Math.round(targetMs / perPass)));
    return { ...DEFAULT_ARGON2, iterations };
  }
  const sample = 100_000;
  const base = await crypto.subtle.importKey('raw', probe, 'PBKDF2', false, ['deriveBits']);
  const started = now();
  await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: probe, iterations: sample }, base, 256);
  const perIteration = Math.max(1e-6, (now() - started) / sample);
  const floor = FALLBACK_PBKDF2.name === 'PBKDF2' ? FALLBACK_PBKDF2.iterations : 600_000;
  const iterations = Math.min(MAX_PBKDF2_ITERATIONS, Math.max(floor, Math.round(targetMs / perIteration / 1000) * 1000));
  return { name: 'PBKDF2', hash: 'SHA-256', iterations };
}
