/**
 * Where the command-line device keeps its state: `$COGZY_HOME`, else `$XDG_CONFIG_HOME/cogzy`, else
 * `~/.config/cogzy`. The folder is 0700; `account.json` (server, email, session token, device id) and `vault-key.json`
 * (the unwrapped vault key) are 0600; `vault.sqlite` is the local copy. `COGZY_VAULT_KEY` (from `cogzy unlock
 * --print-env`) gives the key to a server without writing the key file. `config.json` (0600) holds this computer's
 * settings: the embedding service for search by meaning, with its API key (never synced, never printed); the
 * COGZY_EMBED_* variables override it.
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
  configFile: string;
}

export function cliHome(env: NodeJS.ProcessEnv = process.env): CliHome {
  const dir = env.COGZY_HOME || join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'cogzy');
  return { dir, accountFile: join(dir, 'account.json'), keyFile: join(dir, 'vault-key.json'), vaultFile: join(dir, 'vault.sqlite'), configFile: join(dir, 'config.json') };
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

/**
 * Signing out (C48): what belongs to the signed-in person always goes: the session, the unwrapped vault key and
 * `config.json` (their embedding service and its API key). `keepCopy` keeps the local copy (`vault.sqlite`) and an
 * account file without a session (server, email, device id), so the same person signing in again continues on it
 * offline and in sync; without it the local copy and the account file go too and the folder holds nothing of theirs.
 */
export function forgetPerson(home: CliHome, keepCopy: boolean): void {
  const account = readAccount(home);
  for (const file of [home.keyFile, home.configFile]) rmSync(file, { force: true });
  if (keepCopy && account !== null) {
    writeAccount(home, { ...account, token: null });
    return;
  }
  rmSync(home.accountFile, { force: true });
  forgetLocalCopy(home);
}

export function forgetLocalCopy(home: CliHome): void {
  for (const file of [home.vaultFile, `${home.vaultFile}-wal`, `${home.vaultFile}-shm`]) rmSync(file, { force: true });
}

const embedConfigSchema = z.object({
  /** An OpenAI-compatible service, e.g. https://api.openai.com (a trailing /v1 is accepted). */
  url: z.url(),
  model: z.string().min(1),
  /** Asks the service for shorter vectors (OpenAI text-embedding-3-*); unset lets the service choose. */
  dimensions: z.number().int().positive().max(8192).optional(),
  apiKey: z.string().min(1).optional(),
});
const configFileSchema = z.object({ version: z.literal(1), embed: embedConfigSchema.optional() });
export type CliConfig = z.infer<typeof configFileSchema>;
export type EmbedConfig = z.infer<typeof embedConfigSchema>;

export function readConfig(home: CliHome): CliConfig {
  return readJson(home.configFile, configFileSchema, 'the settings file') ?? { version: 1 };
}

export function writeConfig(home: CliHome, config: CliConfig): void {
  ensureHome(home);
  writeSecret(home.configFile, configFileSchema.parse(config));
}

export interface EmbedSettings {
  url: string;
  model: string;
  dimensions: number | null;
  /** '' when the service needs none. */
  apiKey: string;
  /** Where each part came from, for `cogzy config` (the key itself is never shown). */
  from: { url: 'env' | 'config'; model: 'env' | 'config'; apiKey: 'env' | 'config' | 'none' };
}

/**
 * The embedding service this computer uses: COGZY_EMBED_URL, COGZY_EMBED_MODEL, COGZY_EMBED_KEY and
 * COGZY_EMBED_DIMENSIONS, each over the same setting in config.json; null unless both a URL and a model are set.
 */
export function embedSettings(home: CliHome, env: NodeJS.ProcessEnv = process.env): EmbedSettings | null {
  const saved = readConfig(home).embed;
  const url = env.COGZY_EMBED_URL || saved?.url;
  const model = env.COGZY_EMBED_MODEL || saved?.model;
  if (!url || !model) return null;
  const parsedUrl = z.url().safeParse(url);
  if (!parsedUrl.success) throw new AppError('CLI_USAGE', { detail: `COGZY_EMBED_URL is not a URL: ${url}` });
  const dimsText = env.COGZY_EMBED_DIMENSIONS;
  const dims = dimsText ? Number(dimsText) : (saved?.dimensions ?? null);
  if (dims !== null && (!Number.isInteger(dims) || dims < 1 || dims > 8192)) throw new AppError('CLI_USAGE', { detail: 'COGZY_EMBED_DIMENSIONS takes a whole number from 1 to 8192' });
  const apiKey = env.COGZY_EMBED_KEY || saved?.apiKey || '';
  return {
    url,
    model,
    dimensions: dims,
    apiKey,
    from: { url: env.COGZY_EMBED_URL ? 'env' : 'config', model: env.COGZY_EMBED_MODEL ? 'env' : 'config', apiKey: env.COGZY_EMBED_KEY ? 'env' : saved?.apiKey ? 'config' : 'none' },
  };
}
