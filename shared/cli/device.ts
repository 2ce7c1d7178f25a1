/**
 * The command-line device's composition root: the SQLite vault, node's fetch and WebCrypto, the product's HTTP
 * transport and the shared sync engine, put together from the files in the cogzy home (home.ts). The same engine and
 * rules as the app; only the adapters differ.
 */
import { deriveLoginSecret } from '../auth/login-secret';
import { loginParamsResponseSchema } from '../auth/protocol';
import { AppError, errorEnvelopeSchema } from '../errors';
import { fromBase64, toBase64 } from '../sync/bytes';
import { SyncEngine, type SyncState } from '../sync/engine';
import { HttpTransport, type Fetch } from '../sync/http-transport';
import { deriveSyncKeys, unlockWithPassphrase, unlockWithRecoveryCode } from '../sync/keys';
import type { Clock, Random } from '../sync/ports';
import type { LocalContext } from '../sync/vault-ops';
import { forgetPerson, newDeviceId, readAccount, readKey, writeAccount, writeKey, type Account, type CliHome, type StoredKey } from './home';
import { openSqliteVault, type SqliteVault } from './sqlite-store';

export const systemClock: Clock = { now: () => Date.now() };
export const systemRandom: Random = { bytes: (n) => crypto.getRandomValues(new Uint8Array(n)), fraction: () => Math.random() };
/**
 * node's fetch keeps connections alive; one the server closed while this process was busy (decoding and applying a
 * large segment) fails the next request before it reaches the server ("other side closed"). Such a request is sent
 * once more, at once, on a new connection. Seen in the 200 MB pull: the request that failed answered 200 in 30-90 ms
 * from curl moments later, and wrangler dev kept answering.
 */
const nodeFetch: Fetch = async (input, init) => {
  try {
    return await fetch(input, init);
  } catch (error) {
    if (!CLOSED_SOCKET.test(fetchFailure(error))) throw error;
    return fetch(input, init);
  }
};
/** A request that has not answered in this long counts as a network failure (the engine retries with backoff). */
const REQUEST_TIMEOUT_MS = 60_000;

export function requireAccount(home: CliHome): Account {
  const account = readAccount(home);
  if (account === null) throw new AppError('CLI_NOT_SIGNED_IN');
  return account;
}

function transportOf(account: Account, fetchImpl: Fetch = nodeFetch): HttpTransport {
  const { token } = account;
  if (token === null) throw new AppError('CLI_NOT_SIGNED_IN');
  return new HttpTransport({
    baseUrl: account.server.replace(/\/+$/, ''),
    fetch: fetchImpl,
    headers: () => ({ Authorization: `Bearer ${token}` }),
    signal: () => AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

/** node's fetch says only "fetch failed"; the reason (ECONNREFUSED, a closed socket, ...) is in its cause. */
function fetchFailure(error: unknown): string {
  const text = (value: unknown): string => (value instanceof Error ? `${value.message}${'code' in value ? ` (${String(value.code)})` : ''}` : String(value));
  return error instanceof Error && error.cause !== undefined ? `${text(error)}: ${text(error.cause)}` : text(error);
}

/**
 * A kept-alive connection the server closed while it was idle fails a request before anything was sent (the login
 * secret's Argon2id can take longer than the server keeps an idle connection): such a failure is tried once more.
 */
const CLOSED_SOCKET = /UND_ERR_SOCKET|ECONNRESET|other side closed|EPIPE/;

async function postJson(server: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  let response: Response | undefined;
  for (let attempt = 0; response === undefined; attempt += 1) {
    try {
      response = await fetch(`${server.replace(/\/+$/, '')}/api${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const reason = fetchFailure(error);
      if (attempt === 0 && CLOSED_SOCKET.test(reason)) continue;
      throw new AppError('OFFLINE', { detail: `${server}: ${reason}`, cause: error });
    }
  }
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const envelope = errorEnvelopeSchema.safeParse(json);
    throw envelope.success ? AppError.fromData(envelope.data.error) : new AppError('INTERNAL', { detail: `HTTP ${response.status} from ${path}` });
  }
  return json;
}

/**
 * Signs in as the app does: login parameters, then the Argon2id login secret (the password itself never leaves
 * this computer, except once for an account from before login secrets). Keeps the device id of an earlier login.
 */
export async function login(home: CliHome, server: string, email: string, password: string): Promise<Account> {
  const kept = readAccount(home);
  // A copy kept at sign-out (C49) is that person's: another account never signs in over it, or it would sync into their vault.
  if (kept !== null && (kept.email.toLowerCase() !== email.toLowerCase() || kept.server.replace(/\/+$/, '') !== server.replace(/\/+$/, ''))) {
    throw new AppError('CLI_OTHER_ACCOUNTS_COPY', { detail: `this computer keeps the copy of ${kept.email} on ${kept.server}` });
  }
  const params = loginParamsResponseSchema.parse(await postJson(server, '/auth/login-params', { email }));
  const secret = await deriveLoginSecret(password, params.kdf);
  const body = await postJson(server, '/auth/login', { email, secret, ...(params.legacyPassword ? { password } : {}), session: 'token' });
  const token = (body as { token?: unknown } | null)?.token;
  if (typeof token !== 'string') throw new AppError('INTERNAL', { detail: 'no session token in the login response' });
  const account: Account = { version: 1, server, email, token, deviceId: kept?.deviceId ?? newDeviceId() };
  writeAccount(home, account);
  return account;
}

/**
 * Revokes the session on the server when it can (offline: the token is forgotten anyway), then forgets what belongs
 * to the person (C48): the key and the settings always, the local copy unless `keepCopy`.
 */
export async function logout(home: CliHome, keepCopy: boolean): Promise<{ revoked: boolean }> {
  const account = readAccount(home);
  let revoked = false;
  if (account?.token) {
    try {
      await postJson(account.server, '/auth/logout', {}, { Authorization: `Bearer ${account.token}` });
      revoked = true;
    } catch {
      // Offline or already expired: the key and the settings still go.
    }
  }
  forgetPerson(home, keepCopy);
  return { revoked };
}

/** Fetches the wrapped vault key and opens it with the passphrase or the recovery code; keeps it 0600 unless `store` is false. */
export async function unlock(home: CliHome, secret: { passphrase: string } | { recoveryCode: string }, store = true): Promise<StoredKey> {
  const account = requireAccount(home);
  const remote = await transportOf(account).getVaultKey();
  if (remote === null) throw new AppError('CLI_SYNC_NOT_SET_UP');
  const { wrappedKey } = remote;
  const vaultKey =
    'passphrase' in secret ? await unlockWithPassphrase(crypto.subtle, wrappedKey, secret.passphrase) : await unlockWithRecoveryCode(crypto.subtle, wrappedKey, secret.recoveryCode);
  if (wrappedKey.vaultId === undefined) throw new AppError('SYNC_WRONG_VAULT_KEY', { detail: 'the vault key on the server has no vault id' });
  const key: StoredKey = { version: 1, vaultId: wrappedKey.vaultId, key: toBase64(vaultKey) };
  if (store) writeKey(home, key);
  return key;
}

export interface Device {
  account: Account;
  vault: SqliteVault;
  ctx: LocalContext;
  close(): void;
}

/** The local copy, for commands that work offline (search, show, export, import before its push). */
export function openDevice(home: CliHome): Device {
  const account = requireAccount(home);
  const vault = openSqliteVault(home.vaultFile, account.deviceId);
  return { account, vault, ctx: { store: vault.store, clock: systemClock, deviceId: account.deviceId }, close: () => vault.close() };
}

export interface SyncingDevice extends Device {
  engine: SyncEngine;
}

/** The local copy with the sync engine over it: needs a session and the unlocked key. */
export async function openSyncingDevice(home: CliHome, options: { onState?: (state: SyncState) => void; fetch?: Fetch } = {}): Promise<SyncingDevice> {
  const account = requireAccount(home);
  // A copy kept at sign-out (C49) has an account without a session: signing in comes before unlocking.
  if (account.token === null) throw new AppError('CLI_NOT_SIGNED_IN');
  const key = readKey(home);
  if (key === null) throw new AppError('CLI_VAULT_LOCKED');
  const keys = await deriveSyncKeys(crypto.subtle, fromBase64(key.key), { vaultId: key.vaultId });
  const transport = transportOf(account, options.fetch);
  const device = openDevice(home);
  const engine = new SyncEngine({
    store: device.vault.store,
    transport,
    cipher: crypto.subtle,
    random: systemRandom,
    clock: systemClock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    keys,
    deviceId: account.deviceId,
    ...(options.onState ? { onState: options.onState } : {}),
  });
  return { ...device, engine };
}
