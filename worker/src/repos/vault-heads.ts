/** Picks the vault-head adapter from the Worker's env (per request: no import-time singletons). */
import type { Env } from '../env';
import { d1VaultHeads } from './vault-commits';
import type { VaultHeads } from './vault-head-port';

export function vaultHeadsFromEnv(env: Env): VaultHeads {
  return d1VaultHeads(env.DB);
}
