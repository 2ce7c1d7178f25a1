/**
 * The sync service of the page (C20-C27): the one place that runs the shared SyncEngine in the app. It holds this
 * device's unlocked keys (key-store.ts), builds the engine over the vault's Dexie store, the HTTP transport (the
 * session cookie, same origin) and WebCrypto, runs it on the scheduler's triggers inside a Web Lock (one writer
 * across tabs), records every sync for the dashboard, and tells other tabs over a BroadcastChannel.
 *
 *   startSyncService(db): Promise<SyncService>     once per page (web/src/ui/sync.ts calls it lazily)
 *   class SyncService {
 *     stats: Accessor<SyncStats>                     reactive, persisted (sync-stats.ts)
 *     refresh()                                      re-reads session and keys (after sign-in or sign-out)
 *     vaultKey(): Promise<VaultKeyResponse | null>   whether sync is set up for the account (S12)
 *     setUp(passphrase): Promise<SetUpResult>        new vault key, wrapped; the recovery code to show once
 *     unlock({passphrase} | {recoveryCode})          a wrong secret throws its own error and writes nothing
 *     changePassphrase(current, next)                re-wraps the same key (C3)
 *     lock()                                         forgets this device's keys
 *     syncNow(), pushEverything(), resetFromCloud()  each returns the engine's report (null when locked)
 *   }
 * Live views need no message: Dexie tells every tab and worker of the tables a pull wrote.
 */
import { createSignal, type Accessor } from 'solid-js';
import { AccountApi } from '../account/api-client';
import type { AuthUserData } from '../../../shared/auth/protocol';
import { AppError, toAppError } from '../../../shared/errors';
import { SyncEngine, type SyncReport } from '../../../shared/sync/engine';
import { HttpTransport, type Fetch } from '../../../shared/sync/http-transport';
import { createVault, deriveSyncKeys, rewrapWithPassphrase, unlockWithPassphrase, unlockWithRecoveryCode, type SyncKeys } from '../../../shared/sync/keys';
import type { Random } from '../../../shared/sync/ports';
import type { KeyKdf, VaultKeyResponse } from '../../../shared/sync/protocol';
import { withStorageErrors, type VaultDatabase } from '../db/database';
import { compactIndexInBackground } from '../search/index-compaction';
import { VAULT_WRITE_TABLES } from '../db/vault-writes';
import { DexieStore } from './dexie-store';
import { calibrateKdf } from './kdf';
import { forgetDeviceKeys, loadDeviceKeys, saveDeviceKeys, type DeviceKeys } from './key-store';
import { deviceId, onLocalChange } from './local-changes';
import { browserSchedulerHost, SyncScheduler } from './scheduler';
import { setSyncStatus, syncStatus, type SyncServiceState } from './status';
import { EMPTY_SYNC_STATS, recordSync, syncStatsSchema, type SyncStats } from './sync-stats';
import { materializeSyncedVectors } from './vector-sync';
import { yieldToHost } from './yield';
import { announceSyncedSettings } from '../vault/synced-settings';
import { hasAccountHint, setAccountHint } from '../account/hint';


export const SYNC_LOCK_NAME = 'cogzy-sync';
const CHANNEL_NAME = 'cogzy-sync';
const STATS_ROW = 'sync.stats';
/** The vault whose records this device has queued once (C20); the cursor belongs to it. */
const SEEDED_ROW = 'sync.seededVault';
const CURSOR_ROW = 'sync.cursor';
/** worker/src/auth/csrf.ts: cookie sessions prove same-site writes with this header. */
const CSRF_HEADER = 'X-Cogzy-CSRF';
/** Per request; a 16 MiB segment on a slow uplink needs a while. */
const REQUEST_TIMEOUT_MS = 120_000;

type ChannelMessage = { type: 'state'; state: SyncServiceState } | { type: 'synced' } | { type: 'keys' };

const browserRandom: Random = {
  bytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
  fraction: () => (crypto.getRandomValues(new Uint32Array(1))[0] ?? 0) / 2 ** 32,
};

export interface SetUpResult {
  recoveryCode: string;
  kdf: KeyKdf;
}

export interface SyncServiceOptions {
  api?: AccountApi;
  fetch?: Fetch;
  /** Where /api lives; same origin by default. */
  baseUrl?: string;
}

export class SyncService {
  readonly stats: Accessor<SyncStats>;
  private readonly setStats: (stats: SyncStats) => void;
  private readonly api: AccountApi;
  private readonly transport: HttpTransport;
  private readonly channel: BroadcastChannel | null;
  private engine: SyncEngine | null = null;
  private device: DeviceKeys | null = null;
  private user: AuthUserData | null = null;
  private scheduler: SyncScheduler | null = null;

  constructor(
    private readonly db: VaultDatabase,
    private readonly store: DexieStore,
    private readonly deviceId: string,
    options: SyncServiceOptions = {},
  ) {
    const [stats, setStats] = createSignal<SyncStats>(EMPTY_SYNC_STATS);
    this.stats = stats;
    this.setStats = (value) => setStats(() => value);
    this.api = options.api ?? new AccountApi({ baseUrl: options.baseUrl ?? '' });
    const fetchFn: Fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.transport = new HttpTransport({
      baseUrl: options.baseUrl ?? '',
      fetch: fetchFn,
      headers: () => ({ [CSRF_HEADER]: '1' }),
      signal: () => AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    this.channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL_NAME);
    this.channel?.addEventListener('message', (event: MessageEvent<ChannelMessage>) => void this.hear(event.data));
  }

  get state(): SyncServiceState {
    return syncStatus();
  }

  get unlocked(): boolean {
    return this.engine !== null;
  }

  /** Starts the triggers (C24). */
  startScheduler(): void {
    this.scheduler ??= new SyncScheduler(async () => {
      // Started while the server could not say who is signed in: ask again first.
      if (this.engine === null && syncStatus() === 'starting') await this.refresh();
      await this.syncNow();
    }, browserSchedulerHost(onLocalChange));
    this.scheduler.start();
  }

  private post(message: ChannelMessage): void {
    this.channel?.postMessage(message);
  }

  private setState(state: SyncServiceState): void {
    setSyncStatus(state);
    this.post({ type: 'state', state });
  }

  private async hear(message: ChannelMessage): Promise<void> {
    if (message.type === 'state') setSyncStatus(message.state);
    else if (message.type === 'synced') {
      this.setStats(await this.loadStats());
      announceSyncedSettings();
    }
    else await this.refresh();
  }

  private async loadStats(): Promise<SyncStats> {
    const row = await withStorageErrors(() => this.db.syncState.get(STATS_ROW));
    const parsed = syncStatsSchema.safeParse(row?.value);
    return parsed.success ? parsed.data : EMPTY_SYNC_STATS;
  }

  /** Reads the session and this device's keys again and settles the state; builds the engine when both are there. */
  async refresh(): Promise<void> {
    this.setStats(await this.loadStats());
    let user: AuthUserData | null | undefined;
    try {
      // A profile that never signed in (no hint, no keys) is signed out without asking the server.
      user = hasAccountHint() || (await loadDeviceKeys(this.db)) !== null ? await this.api.me() : null;
      if (user !== undefined) setAccountHint(user !== null);
    } catch {
      // Offline or the server failing: the stored keys still say whose vault this is; without them the state stays
      // unknown ('starting') and the next trigger asks again.
      user = undefined;
    }
    let device = await loadDeviceKeys(this.db);
    if (user === undefined && device === null) return;
    if (user === null) {
      this.user = null;
      this.engine = null;
      this.device = null;
      setSyncStatus('signed-out');
      return;
    }
    if (user !== undefined) this.user = user;
    if (device !== null && user !== undefined && device.userId !== user.id) {
      // Keys of another account's vault: never used for this one.
      await forgetDeviceKeys(this.db);
      device = null;
    }
    if (device === null) {
      this.engine = null;
      this.device = null;
      // "Not set up" is learnt where the key is asked for anyway (the sync page, noteNotSetUp): asking here would cost a
      // request, and a logged 404, on every start of every signed-in device without keys.
      setSyncStatus(syncStatus() === 'not-set-up' ? 'not-set-up' : 'locked');
      return;
    }
    if (this.device?.keys.vaultId !== device.keys.vaultId || this.engine === null) this.engine = this.buildEngine(device.keys);
    this.device = device;
    const current = syncStatus();
    if (current === 'starting' || current === 'locked' || current === 'not-set-up' || current === 'signed-out') setSyncStatus(user === undefined ? 'offline' : 'idle');
  }

  private buildEngine(keys: SyncKeys): SyncEngine {
    return new SyncEngine({
      store: this.store,
      transport: this.transport,
      cipher: crypto.subtle,
      random: browserRandom,
      clock: { now: () => Date.now() },
      sleep: wakeOnOnline,
      yieldToHost,
      keys,
      deviceId: this.deviceId,
      onState: (state) => this.setState(state),
    });
  }

  private async requireUser(): Promise<AuthUserData> {
    const user = this.user ?? (await this.api.me());
    if (user === null) throw new AppError('UNAUTHENTICATED');
    this.user = user;
    return user;
  }

  /** One writer across tabs (C24): every run of the engine, and every reset, holds this lock. */
  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (typeof navigator !== 'undefined' && 'locks' in navigator) return navigator.locks.request(SYNC_LOCK_NAME, work) as Promise<T>;
    return work();
  }

  /** The wrapped vault key, or null before sync was set up for this account (the header then says "Set up sync", C41). */
  async vaultKey(): Promise<VaultKeyResponse | null> {
    const key = await this.transport.getVaultKey();
    if (this.engine === null) {
      const current = syncStatus();
      if (key === null && current === 'locked') setSyncStatus('not-set-up');
      else if (key !== null && current === 'not-set-up') setSyncStatus('locked');
    }
    return key;
  }

  /** C23: a new vault key wrapped by the passphrase (Argon2id calibrated here) and a recovery code (shown once). */
  async setUp(passphrase: string): Promise<SetUpResult> {
    const user = await this.requireUser();
    const kdf = await calibrateKdf();
    const created = await createVault(crypto.subtle, browserRandom, passphrase, kdf);
    const put = await this.transport.putVaultKey(0, created.wrappedKey);
    if (!put.ok) {
      created.vaultKey.fill(0);
      throw new AppError('SYNC_ALREADY_SET_UP');
    }
    const keys = await deriveSyncKeys(crypto.subtle, created.vaultKey, created.wrappedKey);
    created.vaultKey.fill(0);
    await this.adopt(user, keys);
    return { recoveryCode: created.recoveryCode, kdf };
  }

  /** C23: a wrong passphrase or code throws CRYPTO_WRONG_PASSPHRASE / CRYPTO_WRONG_RECOVERY_CODE before anything is written. */
  async unlock(secret: { passphrase: string } | { recoveryCode: string }): Promise<void> {
    const user = await this.requireUser();
    const stored = await this.transport.getVaultKey();
    if (stored === null) throw new AppError('SYNC_NOT_SET_UP');
    const vaultKey =
      'passphrase' in secret
        ? await unlockWithPassphrase(crypto.subtle, stored.wrappedKey, secret.passphrase)
        : await unlockWithRecoveryCode(crypto.subtle, stored.wrappedKey, secret.recoveryCode);
    const keys = await deriveSyncKeys(crypto.subtle, vaultKey, stored.wrappedKey);
    vaultKey.fill(0);
    await this.adopt(user, keys);
  }

  /** C3: the same vault key under a new passphrase; no segment is rewritten and the recovery code keeps working. */
  async changePassphrase(current: string, next: string): Promise<void> {
    const stored = await this.transport.getVaultKey();
    if (stored === null) throw new AppError('SYNC_NOT_SET_UP');
    const vaultKey = await unlockWithPassphrase(crypto.subtle, stored.wrappedKey, current);
    try {
      const wrapped = await rewrapWithPassphrase(crypto.subtle, browserRandom, stored.wrappedKey, vaultKey, next, await calibrateKdf());
      const put = await this.transport.putVaultKey(stored.revision, wrapped);
      if (!put.ok) throw new AppError('SYNC_CONFLICT');
    } finally {
      vaultKey.fill(0);
    }
  }

  /** Stores the keys; on this vault's first unlock here, queues every local record (C20) and starts from its version 0. */
  private async adopt(user: AuthUserData, keys: SyncKeys): Promise<void> {
    await this.exclusive(async () => {
      await saveDeviceKeys(this.db, { userId: user.id, keys, unlockedAt: Date.now() });
      // A vault this device never synced with: pull from the start. Queuing this device's records for it (seedOnce)
      // is the first sync's work, so the recovery code shows at once even over a vault of 100k exchanges.
      const seeded = await withStorageErrors(() => this.db.syncState.get(SEEDED_ROW));
      if (seeded?.value !== keys.vaultId) await withStorageErrors(() => this.db.syncState.delete(CURSOR_ROW));
    });
    this.engine = null;
    await this.refresh();
    this.post({ type: 'keys' });
    this.scheduler?.trigger('manual');
  }

  async lock(): Promise<void> {
    await this.exclusive(() => forgetDeviceKeys(this.db));
    this.engine = null;
    this.device = null;
    this.setState('locked');
    this.post({ type: 'keys' });
  }

  private async record(report: SyncReport): Promise<void> {
    // Vectors pulled from another device become searchable blocks here (C38).
    if (report.pulledSegments > 0) await materializeSyncedVectors(this.db).catch((error: unknown) => console.warn('synced vectors not stored', error instanceof Error ? error.name : ''));
    // Settings another device chose (C39) take effect here now, and in the other tabs when they hear "synced".
    if (report.pulledSegments > 0) announceSyncedSettings();
    // A pull adds a keyword-index segment per chunk it merged: merged away in a worker, as an import's are.
    if (report.pulledSegments > 0) {
      compactIndexInBackground().catch((error: unknown) => {
        const failure = toAppError(error);
        console.warn(`keyword index not compacted after a pull: ${failure.code}`, failure.detail ?? '');
      });
    }
    const stats = recordSync(await this.loadStats(), report);
    await withStorageErrors(() => this.db.syncState.put({ key: STATS_ROW, value: stats }));
    this.setStats(stats);
    if (report.error?.code === 'UNAUTHENTICATED') {
      setAccountHint(false);
      this.user = null;
      this.setState('signed-out');
    }
    this.post({ type: 'synced' });
  }

  async syncNow(): Promise<SyncReport | null> {
    endBackoffWaits();
    return this.exclusive(async () => {
      const engine = this.engine;
      if (engine === null) return null;
      await this.seedOnce();
      const report = await engine.sync();
      await this.record(report);
      if (report.retryAt !== null) this.scheduler?.holdUntil(report.retryAt);
      return report;
    });
  }

  /**
   * C20: the first sync with a vault queues every local record for it, once. Nothing is pushed before the mark is
   * written, so a crash in between only queues the same records again at the next sync.
   */
  private async seedOnce(): Promise<void> {
    const vaultId = this.device?.keys.vaultId;
    if (vaultId === undefined) return;
    const seeded = await withStorageErrors(() => this.db.syncState.get(SEEDED_ROW));
    if (seeded?.value === vaultId) return;
    await this.store.markAllPending();
    await withStorageErrors(() => this.db.syncState.put({ key: SEEDED_ROW, value: vaultId }));
  }

  /** C20: every local record queued again, then a sync (the cloud gets this device's whole vault). */
  async pushEverything(): Promise<SyncReport | null> {
    if (this.engine === null) throw new AppError('SYNC_LOCKED');
    await this.store.markAllPending();
    return this.syncNow();
  }

  /**
   * C26: this device's copy of the vault (conversations, nodes, search index, vectors, synced records, tombstones,
   * the queue and the cursor) is wiped and rebuilt from the cloud. This device's id, keys and history stay.
   */
  async resetFromCloud(): Promise<SyncReport | null> {
    const device = this.device;
    if (device === null) throw new AppError('SYNC_LOCKED');
    return this.exclusive(async () => {
      const { db } = this;
      await withStorageErrors(() =>
        db.transaction('rw', [...VAULT_WRITE_TABLES, 'syncRecords', 'syncTombstones', 'syncPending', 'syncState'], async () => {
          await Promise.all([...VAULT_WRITE_TABLES, 'syncRecords', 'syncTombstones', 'syncPending'].map((name) => db.table(name).clear()));
          await db.syncState.delete(CURSOR_ROW);
        }),
      );
      // A fresh engine: nothing cached from before the wipe.
      this.engine = this.buildEngine(device.keys);
      const report = await this.engine.sync();
      await this.record(report);
      return report;
    });
  }
}

/**
 * The engine's backoff wait (C15): the connection coming back (`online`) ends it early, so a sync that was backing
 * off from a dropped network retries at once instead of up to 30 s later. A server's Retry-After of up to 30 s is
 * still a wait the engine asked for; coming online says nothing about the server, but one early attempt is cheap.
 */
function wakeOnOnline(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      window.removeEventListener('online', done);
      backoffWaits.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    window.addEventListener('online', done);
    backoffWaits.add(done);
  });
}

/** The engine's backoff waits in progress in this page (wakeOnOnline), which "Sync now" ends early. */
const backoffWaits = new Set<() => void>();

/**
 * A person who presses "Sync now" while a sync waits to retry (the network dropped, the server failed) asks for the
 * attempt now: the wait ends, the running sync tries again, and theirs runs after it. Without this the button stayed
 * disabled for up to 30 s after the network came back when the browser did not say it was online.
 */
function endBackoffWaits(): void {
  for (const done of [...backoffWaits]) done();
}

let started: Promise<SyncService> | undefined;

export function startSyncService(db: VaultDatabase): Promise<SyncService> {
  started ??= (async () => {
    const id = await deviceId(db);
    const service = new SyncService(db, new DexieStore(db, id), id);
    await service.refresh();
    service.startScheduler();
    return service;
  })().catch((error: unknown) => {
    started = undefined;
    throw error;
  });
  return started;
}
