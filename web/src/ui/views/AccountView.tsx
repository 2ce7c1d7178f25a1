import { Show, createResource, createSignal, type JSX } from 'solid-js';
import { AccountApi, type Usage } from '../../account/api-client';
import type { AuthUserData } from '../../../../shared/auth/protocol';
import { toAppError } from '../../../../shared/errors';
import ErrorNotice from '../components/ErrorNotice';
import { createAction } from '../action';
import { deleteVault } from '../data';
import { formatBytes } from '../format';
import { syncService } from '../sync';
import { fetchUsage, noteUsage } from '../../chat/usage';
import { setAccountHint } from '../../account/hint';

const api = new AccountApi();

/** The sync service reads the session again (signed in: it may run; signed out: it forgets this device's keys). */
function tellSync(signedIn: boolean): void {
  setAccountHint(signedIn);
  // The header's usage badge follows the account too.
  if (signedIn) void fetchUsage().catch(() => undefined);
  else noteUsage(null);
  syncService()
    .then(async (service) => {
      if (!signedIn) await service.lock();
      await service.refresh();
    })
    .catch(() => undefined);
}

/** #/account: sign up or sign in; when signed in, plan and usage, sign out, change password, delete account. */
export default function AccountView(): JSX.Element {
  const [user, { mutate: setUser }] = createResource<AuthUserData | null>(async () => {
    const me = await api.me().catch(() => undefined);
    // What the server says about the session corrects the hint either way (unknown when it could not be asked).
    if (me !== undefined) setAccountHint(me !== null);
    return me ?? null;
  });
  const [notice, setNotice] = createSignal<string | null>(null);
  return (
    <section class="page account">
      <h1>Account</h1>
      <p class="muted">
        An account lets you sync your vault between devices. Your password never leaves this device: the app derives a separate login key from
        it, and that key is all the server sees.
      </p>
      <Show when={notice()}>{(n) => <p role="status" class="notice ok">{n()}</p>}</Show>
      <Show when={!user.loading} fallback={<p class="loading" role="status">Checking your account…</p>}>
        <Show
          when={user()}
          fallback={
            <SignInForm
              onSignedIn={(u, how) => {
                setNotice(how === 'signup' ? `Account created. You are signed in as ${u.email}.` : `Signed in as ${u.email}.`);
                setUser(u);
                tellSync(true);
              }}
            />
          }
        >
          {(u) => (
            <SignedIn
              user={u()}
              onSignedOut={(message) => {
                setNotice(message);
                setUser(null);
                tellSync(false);
              }}
            />
          )}
        </Show>
      </Show>
    </section>
  );
}

function SignInForm(props: { onSignedIn: (user: AuthUserData, how: 'signin' | 'signup') => void }): JSX.Element {
  const [mode, setMode] = createSignal<'signin' | 'signup'>('signin');
  const [email, setEmail] = createSignal('');
  const [password, setPassword] = createSignal('');
  const action = createAction();
  const submit = (e: SubmitEvent): void => {
    e.preventDefault();
    void action.run(async () => {
      const how = mode();
      const u = how === 'signup' ? await api.signUp(email(), password()) : await api.signIn(email(), password());
      props.onSignedIn(u, how);
    });
  };
  return (
    <section class="card panel" aria-labelledby="account-form-title">
      <h2 id="account-form-title">{mode() === 'signup' ? 'Create an account' : 'Sign in'}</h2>
      <div class="segmented" role="group" aria-label="Sign in or create an account">
        <button type="button" aria-pressed={mode() === 'signin'} onClick={() => setMode('signin')}>
          Sign in
        </button>
        <button type="button" aria-pressed={mode() === 'signup'} onClick={() => setMode('signup')}>
          Create account
        </button>
      </div>
      <form onSubmit={submit}>
        <label class="field" for="account-email">
          Email
          <input id="account-email" type="email" autocomplete="email" required value={email()} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label class="field" for="account-password">
          Password{mode() === 'signup' ? ' (at least 10 characters)' : ''}
          <input
            id="account-password"
            type="password"
            autocomplete={mode() === 'signup' ? 'new-password' : 'current-password'}
            required
            value={password()}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <div class="actions">
          <button type="submit" class="button primary" disabled={action.busy()}>
            {action.busy() ? 'Working…' : mode() === 'signup' ? 'Create account' : 'Sign in'}
          </button>
        </div>
      </form>
      <ErrorNotice error={action.error()} />
    </section>
  );
}

function UsagePanel(props: { usage: Usage }): JSX.Element {
  const vault = () => props.usage.vault;
  const messages = () => props.usage.messages;
  return (
    <>
      <p data-testid="account-plan">
        Plan: <strong>{props.usage.tier === 'premium' ? 'Premium' : 'Free'}</strong>
      </p>
      <p data-testid="account-vault-usage">
        Synced vault: <strong>{formatBytes(vault().bytesUsed)}</strong> of {formatBytes(vault().bytesLimit)}
      </p>
      <div class="meter" role="meter" aria-label="Synced vault used" aria-valuemin="0" aria-valuemax={vault().bytesLimit} aria-valuenow={vault().bytesUsed}>
        <span style={{ width: `${Math.min(100, (vault().bytesUsed / vault().bytesLimit) * 100).toFixed(2)}%` }} />
      </div>
      <p data-testid="account-messages">
        Ask-memory messages today: <strong>{messages().used}</strong>
        {messages().limit === null ? ' (unlimited)' : ` of ${String(messages().limit)}`}, reset at {new Date(messages().resetsAt).toLocaleTimeString()}
      </p>
    </>
  );
}

function SignedIn(props: { user: AuthUserData; onSignedOut: (message: string) => void }): JSX.Element {
  const [usage, { refetch }] = createResource(() => api.usage());
  const signOut = createAction();
  const change = createAction();
  const remove = createAction();
  const [changed, setChanged] = createSignal<string | null>(null);
  const [current, setCurrent] = createSignal('');
  const [next, setNext] = createSignal('');
  const [deletePassword, setDeletePassword] = createSignal('');
  const [confirmText, setConfirmText] = createSignal('');
  let signOutDialog: HTMLDialogElement | undefined;
  let deleteDialog: HTMLDialogElement | undefined;

  const doSignOut = (wipe: boolean): void => {
    void signOut.run(async () => {
      await api.signOut();
      if (wipe) await deleteVault();
      signOutDialog?.close();
      props.onSignedOut(wipe ? 'Signed out. This device’s copy of your vault was deleted.' : 'Signed out. Your vault stays on this device.');
    });
  };
  const doChange = (e: SubmitEvent): void => {
    e.preventDefault();
    setChanged(null);
    void change.run(async () => {
      const others = await api.changePassword(props.user.email, current(), next());
      setCurrent('');
      setNext('');
      setChanged(others > 0 ? `Password changed. ${String(others)} other device${others === 1 ? ' was' : 's were'} signed out.` : 'Password changed.');
    });
  };
  const doDelete = (): void => {
    void remove.run(async () => {
      await api.deleteAccount(props.user.email, deletePassword());
      deleteDialog?.close();
      props.onSignedOut('Your account and everything synced to it were deleted. Your vault on this device was not touched.');
    });
  };

  return (
    <>
      <section class="card panel" aria-labelledby="account-who">
        <h2 id="account-who">Signed in</h2>
        <p data-testid="account-email">
          Signed in as <strong>{props.user.email}</strong>.
        </p>
        <Show when={usage()} fallback={<ErrorNotice error={usage.error === undefined ? null : toAppError(usage.error).toData()} />}>
          {(u) => <UsagePanel usage={u()} />}
        </Show>
        <p>
          <a href="#/settings/sync">Sync this vault between your devices</a>
        </p>
        <div class="actions">
          <button type="button" class="button" onClick={() => void refetch()}>
            Refresh usage
          </button>
          <button type="button" class="button" onClick={() => signOutDialog?.showModal()}>
            Sign out…
          </button>
        </div>
      </section>

      <section class="card panel" aria-labelledby="account-password-title">
        <h2 id="account-password-title">Change password</h2>
        <form onSubmit={doChange}>
          <label class="field" for="account-current-password">
            Current password
            <input id="account-current-password" type="password" autocomplete="current-password" required value={current()} onInput={(e) => setCurrent(e.currentTarget.value)} />
          </label>
          <label class="field" for="account-new-password">
            New password (at least 10 characters)
            <input id="account-new-password" type="password" autocomplete="new-password" required value={next()} onInput={(e) => setNext(e.currentTarget.value)} />
          </label>
          <div class="actions">
            <button type="submit" class="button primary" disabled={change.busy()}>
              {change.busy() ? 'Changing…' : 'Change password'}
            </button>
          </div>
        </form>
        <Show when={changed()}>{(m) => <p role="status" class="notice ok">{m()}</p>}</Show>
        <ErrorNotice error={change.error()} />
      </section>

      <section class="card panel" aria-labelledby="account-delete-title">
        <h2 id="account-delete-title">Delete account</h2>
        <p>Deletes your account and everything synced to it from our servers. Your vault on this device stays.</p>
        <div class="actions">
          <button type="button" class="button danger" onClick={() => deleteDialog?.showModal()}>
            Delete account…
          </button>
        </div>
      </section>

      <dialog ref={signOutDialog} aria-labelledby="signout-title">
        <h2 id="signout-title">Sign out of {props.user.email}?</h2>
        <p>Keep this device’s copy of your vault, or delete it from this device (for example on a shared computer)?</p>
        <div class="actions">
          <button type="button" class="button" onClick={() => signOutDialog?.close()}>
            Cancel
          </button>
          <button type="button" class="button primary" disabled={signOut.busy()} onClick={() => doSignOut(false)}>
            Sign out, keep this device’s copy
          </button>
          <button type="button" class="button danger" disabled={signOut.busy()} onClick={() => doSignOut(true)}>
            Sign out and wipe this device
          </button>
        </div>
        <ErrorNotice error={signOut.error()} />
      </dialog>

      <dialog
        ref={deleteDialog}
        aria-labelledby="account-delete-dialog-title"
        onClose={() => {
          setConfirmText('');
          setDeletePassword('');
        }}
      >
        <h2 id="account-delete-dialog-title">Delete your account?</h2>
        <p>This deletes your account and all synced data from our servers. It cannot be undone.</p>
        <label class="field" for="account-delete-password">
          Your password
          <input
            id="account-delete-password"
            type="password"
            autocomplete="current-password"
            value={deletePassword()}
            onInput={(e) => setDeletePassword(e.currentTarget.value)}
          />
        </label>
        <label class="field" for="account-delete-confirm">
          Type DELETE to confirm
          <input id="account-delete-confirm" type="text" autocomplete="off" value={confirmText()} onInput={(e) => setConfirmText(e.currentTarget.value)} />
        </label>
        <div class="actions">
          <button type="button" class="button" onClick={() => deleteDialog?.close()}>
            Keep my account
          </button>
          <button
            type="button"
            class="button danger"
            disabled={confirmText().trim() !== 'DELETE' || deletePassword() === '' || remove.busy()}
            onClick={doDelete}
          >
            {remove.busy() ? 'Deleting…' : 'Delete account'}
          </button>
        </div>
        <ErrorNotice error={remove.error()} />
      </dialog>
    </>
  );
}
