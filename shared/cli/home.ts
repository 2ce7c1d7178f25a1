/**
 * Where the command-line device keeps its state: `$COGZY_HOME`, else `$XDG_CONFIG_HOME/cogzy`, else
 * `~/.config/cogzy`. The folder is 0700; `account.json` (server, email, session token, device id) and `vault-key.json`
 * (the unwrapped vault key) are 0600; `vault.sqlite` is the local copy. `COGZY_VAULT_KEY` (from `cogzy unlock
 * --print-env`) gives the key to a server without writing the key file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors';
import { deviceIdSchema } from '../sync/protocol';

export interface CliHome {
  dir: string;
  accountFile: string;
  keyFile: string;
  vaultFile: string;
}

export function cliHome(env: NodeJS.ProcessEnv = process.env): CliHome {
  const dir = env.COGZY_HOME || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'cogzy');
  return { dir, accountFile: join(dir, 'account.json'), keyFile: join(dir, 'vault-key.json'), vaultFile: join(dir, 'vault.sqlite') };
}

export function ensureHome(home: CliHome): void {
  mkdirSync(home.dir, { recursive: true, mode: 0o700 });
  chmodSync(home.dir, 0o700);
}

const accountSchema = z.object({
  version: z.literal(1),
  server: z.url(),
  email: z.string().min(1),
  token: z.string().min(1).nullable(),
  deviceId: deviceIdSchema,
});
export type Account = z.infer<typeof accountSchema>;

const keyFileSchema = z.object({ version: z.literal(1), vaultId: z.string().min(1), key: z.base64() });
export type StoredKey = z.infer<typeof keyFileSchema>;

function readJson<T>(path: string, schema: z.ZodType<T>, what: string): T | null {
  if (!existsSync(path)) return null;
  const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new AppError('STORAGE_FAILED', { detail: `${what} (${path}) is not in the expected format; run cogzy logout, then sign in again` });
  return parsed.data;
}

/** Writes a secret file readable by its owner only (created 0600, and chmod in case it existed). */
function writeSecret(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function readAccount(home: CliHome): Account | null {
  return readJson(home.accountFile, accountSchema, 'the account file');
}

export function writeAccount(home: CliHome, account: Account): void {
  ensureHome(home);
  writeSecret(home.accountFile, accountSchema.parse(account));
}

export function newDeviceId(): string {
  return `cli-${randomBytes(9).toString('base64url')}`;
}

/** `v1.<vault id>.<key>` as one environment variable. */
export function keyToEnv(key: StoredKey): string {
  return `v1.${key.vaultId}.${key.key}`;
}

export function readKey(home: CliHome, env: NodeJS.ProcessEnv = process.env): StoredKey | null {
  const fromEnv = env.COGZY_VAULT_KEY;
  if (fromEnv) {
    const [version, vaultId, key] = fromEnv.split('.');
    const parsed = keyFileSchema.safeParse({ version: version === 'v1' ? 1 : 0, vaultId, key });
    if (!parsed.success) throw new AppError('CLI_VAULT_LOCKED', { detail: 'COGZY_VAULT_KEY is not a key printed by cogzy unlock --print-env' });
    return parsed.data;
  }
  return readJson(home.keyFile, keyFileSchema, 'the vault key file');
}

export function writeKey(home: CliHome, key: StoredKey): void {
  ensureHome(home);
  writeSecret(home.keyFile, keyFileSchema.parse(key));
}

/** Signing out: the session, the key and the local copy go (a device that signed out keeps no plaintext). */
export function forgetEverything(home: CliHome): void {
  for (const file of [home.keyFile, home.accountFile, home.vaultFile, `${home.vaultFile}-wal`, `${home.vaultFile}-shm`]) rmSync(file, { force: true });
}

export function forgetLocalCopy(home: CliHome): void {
  for (const file of [home.vaultFile, `${home.vaultFile}-wal`, `${home.vaultFile}-shm`]) rmSync(file, { force: true });
}
