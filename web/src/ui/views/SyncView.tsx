/**
 * #/settings/sync: set up sync (passphrase, recovery code shown once), unlock a second device (passphrase or
 * recovery code), and the dashboard: state, last push and pull, pending changes, bytes, totals, the last 50 syncs,
 * health, storage, and Sync now / Push everything / Reset from cloud.
 */
import { For, Match, Show, Switch, createResource, createSignal, type JSX } from 'solid-js';
import { toAppError } from '../../../../shared/errors';
import type { SyncService } from '../../sync/sync-service';
import { readPendingChanges } from '../../db/sync-bookkeeping';
import { MIN_PASSPHRASE_LENGTH, passphraseStrength } from '../../sync/passphrase-strength';
import { SYNC_STATE_LABELS, syncStatus } from '../../sync/status';
import ErrorNotice from '../components/ErrorNotice';
import { createAction } from '../action';
import { formatBytes, formatDateTime, formatDuration, formatNumber } from '../format';
import { createLive } from '../live';
import { syncService } from '../sync';
import StoragePanel from './settings/StoragePanel';

export default function SyncView(): JSX.Element {
  const [service] = createResource(() => syncService());
  return (
    <section class="page sync">
      <h1>Sync</h1>
      <p class="muted">
        Sync keeps your vault the same on every device you sign in on. It is end-to-end encrypted: your devices encrypt everything with a key that
        only your passphrase (or your recovery code) unlocks, so our server stores data it cannot read.
      </p>
      <Show
        when={service()}
        fallback={
          <Show when={service.error !== undefined} fallback={<p class="loading" role="status">Starting sync…</p>}>
            <ErrorNotice error={toAppError(service.error).toData()} />
          </Show>
        }
      >
        {(s) => <SyncBody service={s()} />}
      </Show>
    </section>
  );
}

function SyncBody(props: { service: SyncService }): JSX.Element {
  const [recoveryCode, setRecoveryCode] = createSignal<string | null>(null);
  return (
    <Switch fallback={<Dashboard service={props.service} />}>
      <Match when={recoveryCode()}>{(code) => <RecoveryCode code={code()} onDone={() => setRecoveryCode(null)} />}</Match>
      <Match when={syncStatus() === 'starting'}>
        <p class="loading" role="status">
          Checking your account… If this does not finish, Cogzy’s server is not answering; sync starts by itself once it does.
        </p>
        <div class="actions">
          <button type="button" class="button" onClick={() => void props.service.refresh().catch(() => undefined)}>
            Try again
          </button>
        </div>
      </Match>
      <Match when={syncStatus() === 'signed-out'}>
        <section class="card panel" aria-labelledby="sync-signin-title">
          <h2 id="sync-signin-title">Sign in to sync</h2>
          <p>
            Sync needs an account. <a href="#/account">Sign in or create an account</a>, then come back here.
          </p>
        </section>
      </Match>
      <Match when={syncStatus() === 'locked' || syncStatus() === 'not-set-up'}>
        <Locked service={props.service} onSetUp={setRecoveryCode} />
      </Match>
    </Switch>
  );
}

function Locked(props: { service: SyncService; onSetUp: (code: string) => void }): JSX.Element {
  const [key, { refetch }] = createResource(() => props.service.vaultKey());
  return (
    <Show
      when={!key.loading}
      fallback={
        <p class="loading" role="status">
          Checking your account…
        </p>
      }
    >
      <Show
        when={key.error === undefined}
        fallback={
          <>
            <ErrorNotice error={toAppError(key.error).toData()} />
            <div class="actions">
              <button type="button" class="button" onClick={() => void refetch()}>
                Try again
              </button>
            </div>
          </>
        }
      >
        <Show when={key()} fallback={<SetUp service={props.service} onSetUp={props.onSetUp} />}>
          <Unlock service={props.service} />
        </Show>
      </Show>
    </Show>
  );
}

function SetUp(props: { service: SyncService; onSetUp: (code: string) => void }): JSX.Element {
  const [passphrase, setPassphrase] = createSignal('');
  const [again, setAgain] = createSignal('');
  const [understood, setUnderstood] = createSignal(false);
  const action = createAction();
  const strength = () => passphraseStrength(passphrase());
  const ready = () => strength().acceptable && passphrase() === again() && understood();
  const submit = (e: SubmitEvent): void => {
    e.preventDefault();
    if (!ready()) return;
    void action.run(async () => {
      const { recoveryCode } = await props.service.setUp(passphrase());
      setPassphrase('');
      setAgain('');
      props.onSetUp(recoveryCode);
    });
  };
  return (
    <section class="card panel" aria-labelledby="sync-setup-title">
      <h2 id="sync-setup-title">Set up sync</h2>
      <p>Choose a passphrase for your vault. Every device you add asks for it once. It is not your account password, and we never see it.</p>
      <form onSubmit={submit}>
        <label class="field" for="sync-passphrase">
          Passphrase (at least {MIN_PASSPHRASE_LENGTH} characters; a few unrelated words work well)
          <input id="sync-passphrase" type="password" autocomplete="new-password" required value={passphrase()} onInput={(e) => setPassphrase(e.currentTarget.value)} />
        </label>
        <div class="meter strength" role="meter" aria-label="Passphrase strength" aria-valuemin="0" aria-valuemax="3" aria-valuenow={strength().level} aria-valuetext={strength().label} data-level={strength().level}>
          <span style={{ width: `${passphrase() === '' ? 0 : ((strength().level + 1) / 4) * 100}%` }} />
        </div>
        <p class="muted" data-testid="passphrase-strength">
          Strength: {passphrase() === '' ? '—' : strength().label}
          {passphrase() !== '' && !strength().acceptable ? ' (make it longer or less predictable)' : ''}
        </p>
        <label class="field" for="sync-passphrase-again">
          The same passphrase again
          <input id="sync-passphrase-again" type="password" autocomplete="new-password" required value={again()} onInput={(e) => setAgain(e.currentTarget.value)} />
        </label>
        <Show when={again() !== '' && again() !== passphrase()}>
          <p class="notice error" role="alert">
            The two passphrases are not the same.
          </p>
        </Show>
        <p class="notice warn" data-testid="sync-loss-warning">
          <strong>Keep it safe.</strong> After this step you get a recovery code. If you lose both your passphrase and your recovery code, nobody,
          not even Cogzy, can read your synced data again. The copy on each of your devices stays readable there.
        </p>
        <label class="check" for="sync-understood">
          <input id="sync-understood" type="checkbox" checked={understood()} onChange={(e) => setUnderstood(e.currentTarget.checked)} />I understand: a
          lost passphrase plus a lost recovery code means lost cloud data.
        </label>
        <div class="actions">
          <button type="submit" class="button primary" disabled={!ready() || action.busy()}>
            {action.busy() ? 'Setting up… (securing the key takes about a second)' : 'Set up sync'}
          </button>
        </div>
      </form>
      <ErrorNotice error={action.error()} />
    </section>
  );
}

function RecoveryCode(props: { code: string; onDone: () => void }): JSX.Element {
  const [saved, setSaved] = createSignal(false);
  const [copied, setCopied] = createSignal<string | null>(null);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(props.code);
      setCopied('Copied.');
    } catch {
      setCopied('Copying is not allowed here: select the code and copy it by hand.');
    }
  };
  return (
    <section class="card panel" aria-labelledby="sync-recovery-title">
      <h2 id="sync-recovery-title">Your recovery code</h2>
      <p>
        This code unlocks your vault if you forget the passphrase. <strong>It is shown only now.</strong> Write it down or keep it in a password
        manager, away from this device.
      </p>
      <p class="recovery-code">
        <code data-testid="recovery-code">{props.code}</code>
      </p>
      <div class="actions">
        <button type="button" class="button" onClick={() => void copy()}>
          Copy code
        </button>
      </div>
      <Show when={copied()}>{(text) => <p role="status">{text()}</p>}</Show>
      <label class="check" for="sync-saved">
        <input id="sync-saved" type="checkbox" checked={saved()} onChange={(e) => setSaved(e.currentTarget.checked)} />I saved my recovery code
      </label>
      <div class="actions">
        <button type="button" class="button primary" disabled={!saved()} onClick={() => props.onDone()}>
          Continue
        </button>
      </div>
    </section>
  );
}

function Unlock(props: { service: SyncService }): JSX.Element {
  const [mode, setMode] = createSignal<'passphrase' | 'recovery'>('passphrase');
  const [secret, setSecret] = createSignal('');
  const action = createAction();
  const submit = (e: SubmitEvent): void => {
    e.preventDefault();
    void action.run(async () => {
      await props.service.unlock(mode() === 'passphrase' ? { passphrase: secret() } : { recoveryCode: secret() });
      setSecret('');
    });
  };
  const choose = (next: 'passphrase' | 'recovery'): void => {
    setMode(next);
    setSecret('');
    action.clear();
  };
  return (
    <section class="card panel" aria-labelledby="sync-unlock-title">
      <h2 id="sync-unlock-title">Unlock sync on this device</h2>
      <p>Sync is set up for your account. Enter your vault passphrase (or your recovery code) to bring your vault to this device.</p>
      <div class="segmented" role="group" aria-label="Unlock with">
        <button type="button" aria-pressed={mode() === 'passphrase'} onClick={() => choose('passphrase')}>
          Passphrase
        </button>
        <button type="button" aria-pressed={mode() === 'recovery'} onClick={() => choose('recovery')}>
          Recovery code
        </button>
      </div>
      <form onSubmit={submit}>
        <Show
          when={mode() === 'passphrase'}
          fallback={
            <label class="field" for="sync-unlock-code">
              Recovery code
              <input id="sync-unlock-code" type="text" autocomplete="off" spellcheck={false} required value={secret()} onInput={(e) => setSecret(e.currentTarget.value)} />
            </label>
          }
        >
          <label class="field" for="sync-unlock-passphrase">
            Vault passphrase
            <input id="sync-unlock-passphrase" type="password" autocomplete="current-password" required value={secret()} onInput={(e) => setSecret(e.currentTarget.value)} />
          </label>
        </Show>
        <div class="actions">
          <button type="submit" class="button primary" disabled={action.busy()}>
            {action.busy() ? 'Unlocking…' : 'Unlock'}
          </button>
        </div>
      </form>
      <ErrorNotice error={action.error()} />
    </section>
  );
}

function Dashboard(props: { service: SyncService }): JSX.Element {
  const stats = () => props.service.stats();
  const pending = createLive(
    () => null,
    // Keys, not rows: an import batch queues its keys as one row (db/sync-bookkeeping.ts).
    async (db) => (await readPendingChanges(db)).length,
  );
  const action = createAction();
  const [done, setDone] = createSignal<string | null>(null);
  let resetDialog: HTMLDialogElement | undefined;
  let pushDialog: HTMLDialogElement | undefined;
  let lockDialog: HTMLDialogElement | undefined;
  const busyState = () => syncStatus() === 'pulling' || syncStatus() === 'pushing';
  const average = () => (stats().succeeded > 0 ? stats().totalMs / stats().succeeded : null);

  const run = (dialog: HTMLDialogElement | undefined, work: () => Promise<unknown>, message: string): void => {
    setDone(null);
    void action.run(async () => {
      await work();
      dialog?.close();
      setDone(message);
    });
  };

  return (
    <>
      <section class="card panel" aria-labelledby="sync-state-title">
        <h2 id="sync-state-title">Status</h2>
        <p class="sync-state" data-state={syncStatus()}>
          <span class="sync-dot" aria-hidden="true" />
          <strong data-testid="sync-state">{SYNC_STATE_LABELS[syncStatus()]}</strong>
        </p>
        <dl class="counts sync-figures">
          <div>
            <dt>Last pull</dt>
            <dd data-testid="sync-last-pull">{stats().lastPullAt === null ? 'never' : formatDateTime(stats().lastPullAt)}</dd>
          </div>
          <div>
            <dt>Last push</dt>
            <dd data-testid="sync-last-push">{stats().lastPushAt === null ? 'never' : formatDateTime(stats().lastPushAt)}</dd>
          </div>
          <div>
            <dt>Changes waiting to upload</dt>
            <dd data-testid="sync-pending">{pending.value() === undefined ? '…' : formatNumber(pending.value() ?? 0)}</dd>
          </div>
          <div>
            <dt>Uploaded / downloaded</dt>
            <dd data-testid="sync-bytes">
              {formatBytes(stats().bytesUp)} / {formatBytes(stats().bytesDown)}
            </dd>
          </div>
          <div>
            <dt>Syncs that worked / failed</dt>
            <dd data-testid="sync-totals">
              {formatNumber(stats().succeeded)} / {formatNumber(stats().failed)}
            </dd>
          </div>
          <div>
            <dt>Average sync</dt>
            <dd>{average() === null ? '—' : formatDuration(average() ?? 0)}</dd>
          </div>
          <div>
            <dt>Conflicts resolved</dt>
            <dd>{formatNumber(stats().conflictsResolved)}</dd>
          </div>
        </dl>
        <div class="actions">
          {/* Pressable while a sync runs: it may be waiting to retry, and pressing asks for the attempt now (syncNow). */}
          <button type="button" class="button primary" disabled={action.busy()} aria-describedby={busyState() ? 'sync-busy-note' : undefined} onClick={() => run(undefined, () => props.service.syncNow(), 'Sync finished.')}>
            Sync now
          </button>
          <button type="button" class="button" disabled={action.busy()} onClick={() => pushDialog?.showModal()}>
            Push everything…
          </button>
          <button type="button" class="button danger" disabled={action.busy()} onClick={() => resetDialog?.showModal()}>
            Reset from cloud…
          </button>
          <button type="button" class="button" disabled={action.busy()} onClick={() => lockDialog?.showModal()}>
            Lock sync on this device…
          </button>
        </div>
        <Show when={busyState() && !action.busy()}>
          <p id="sync-busy-note" class="muted">
            A sync is running. If it is waiting to retry, Sync now tries again at once, then syncs once more.
          </p>
        </Show>
        <Show when={done()}>{(m) => <p role="status" class="notice ok">{m()}</p>}</Show>
        <ErrorNotice error={action.error()} />
      </section>

      <section class="card panel" aria-labelledby="sync-health-title">
        <h2 id="sync-health-title">Health</h2>
        <p data-testid="sync-health">
          {stats().consecutiveFailures === 0
            ? 'Healthy: the last sync worked.'
            : `${formatNumber(stats().consecutiveFailures)} sync${stats().consecutiveFailures === 1 ? '' : 's'} in a row did not finish.`}
        </p>
        <Show when={stats().lastError}>
          {(error) => (
            <div class="notice warn" data-code={error().code} data-testid="sync-last-error">
              <strong>Last problem: </strong>
              {error().message}
            </div>
          )}
        </Show>
      </section>

      <section class="card panel" aria-labelledby="sync-history-title">
        <h2 id="sync-history-title">Recent syncs</h2>
        <Show when={stats().history.length > 0} fallback={<p class="muted">No sync has run on this device yet.</p>}>
          <div class="table-scroll" tabindex="0" role="region" aria-label="Recent syncs">
            <table class="sync-history" data-testid="sync-history">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Result</th>
                  <th scope="col">Pulled / pushed</th>
                  <th scope="col">Down / up</th>
                  <th scope="col">Took</th>
                </tr>
              </thead>
              <tbody>
                <For each={stats().history}>
                  {(entry) => (
                    <tr data-state={entry.state}>
                      <td>{formatDateTime(entry.finishedAt)}</td>
                      <td>
                        {SYNC_STATE_LABELS[entry.state]}
                        {entry.errorCode ? ` (${entry.errorCode})` : ''}
                      </td>
                      <td>
                        {entry.pulledSegments} / {entry.pushedSegments}
                      </td>
                      <td>
                        {formatBytes(entry.bytesDown)} / {formatBytes(entry.bytesUp)}
                      </td>
                      <td>{formatDuration(Math.max(0, entry.finishedAt - entry.startedAt))}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
      </section>

      <ChangePassphrase service={props.service} />

      <section class="card panel" aria-labelledby="sync-storage-title">
        <h2 id="sync-storage-title">Storage on this device</h2>
        <StoragePanel />
      </section>

      <dialog ref={pushDialog} aria-labelledby="sync-push-title">
        <h2 id="sync-push-title">Push everything?</h2>
        <p>Uploads this device’s whole vault again. Nothing is deleted anywhere; use it when the cloud copy seems to miss something this device has.</p>
        <div class="actions">
          <button type="button" class="button" onClick={() => pushDialog?.close()}>
            Cancel
          </button>
          <button type="button" class="button primary" disabled={action.busy()} onClick={() => run(pushDialog, () => props.service.pushEverything(), 'Everything on this device was pushed.')}>
            Push everything
          </button>
        </div>
      </dialog>

      <dialog ref={resetDialog} aria-labelledby="sync-reset-title">
        <h2 id="sync-reset-title">Reset this device from the cloud?</h2>
        <p>
          Deletes this device’s copy of the vault and downloads it again from the cloud. Changes made here that were not uploaded yet (
          {formatNumber(pending.value() ?? 0)} waiting) are lost.
        </p>
        <div class="actions">
          <button type="button" class="button" onClick={() => resetDialog?.close()}>
            Cancel
          </button>
          <button type="button" class="button danger" disabled={action.busy()} onClick={() => run(resetDialog, () => props.service.resetFromCloud(), 'This device was rebuilt from the cloud.')}>
            Reset from cloud
          </button>
        </div>
      </dialog>

      <dialog ref={lockDialog} aria-labelledby="sync-lock-title">
        <h2 id="sync-lock-title">Lock sync on this device?</h2>
        <p>This device forgets the vault key and stops syncing until you unlock it again with your passphrase or recovery code. Your vault here stays.</p>
        <div class="actions">
          <button type="button" class="button" onClick={() => lockDialog?.close()}>
            Cancel
          </button>
          <button type="button" class="button primary" disabled={action.busy()} onClick={() => run(lockDialog, () => props.service.lock(), 'Sync is locked on this device.')}>
            Lock sync
          </button>
        </div>
      </dialog>
    </>
  );
}

/** C3: the same vault key under a new passphrase; nothing is re-encrypted and the recovery code keeps working. */
function ChangePassphrase(props: { service: SyncService }): JSX.Element {
  const [current, setCurrent] = createSignal('');
  const [next, setNext] = createSignal('');
  const [done, setDone] = createSignal<string | null>(null);
  const action = createAction();
  const strength = () => passphraseStrength(next());
  const submit = (e: SubmitEvent): void => {
    e.preventDefault();
    setDone(null);
    if (!strength().acceptable) return;
    void action.run(async () => {
      await props.service.changePassphrase(current(), next());
      setCurrent('');
      setNext('');
      setDone('Passphrase changed. Your other devices stay unlocked, and your recovery code still works.');
    });
  };
  return (
    <section class="card panel" aria-labelledby="sync-change-title">
      <h2 id="sync-change-title">Change the vault passphrase</h2>
      <form onSubmit={submit}>
        <label class="field" for="sync-current-passphrase">
          Current vault passphrase
          <input id="sync-current-passphrase" type="password" autocomplete="current-password" required value={current()} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </label>
        <label class="field" for="sync-new-passphrase">
          New vault passphrase (at least {MIN_PASSPHRASE_LENGTH} characters)
          <input id="sync-new-passphrase" type="password" autocomplete="new-password" required value={next()} onInput={(e) => setNext(e.currentTarget.value)} />
        </label>
        <p class="muted">Strength: {next() === '' ? '—' : strength().label}</p>
        <div class="actions">
          <button type="submit" class="button" disabled={action.busy() || !strength().acceptable}>
            {action.busy() ? 'Changing…' : 'Change passphrase'}
          </button>
        </div>
      </form>
      <Show when={done()}>{(m) => <p role="status" class="notice ok">{m()}</p>}</Show>
      <ErrorNotice error={action.error()} />
    </section>
  );
}
