/**
 * Whether this browser profile has been signed in to a Cogzy account (a hint, not a credential: the session itself is
 * an HttpOnly cookie the page cannot read). Background work that needs an account (the sync service's session check,
 * the header's usage badge) asks the server only when the hint is set, so a person who never signed up causes no
 * account requests at all, and an offline start makes none of them.
 *
 *   hasAccountHint(): boolean
 *   setAccountHint(signedIn: boolean): void   on sign-in / sign-up / a session seen; cleared on sign-out or a 401
 */
const KEY = 'cogzy.account-hint';

export function hasAccountHint(): boolean {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    // Storage refused (private mode): ask the server, as before the hint existed.
    return true;
  }
}

export function setAccountHint(signedIn: boolean): void {
  try {
    if (signedIn) localStorage.setItem(KEY, '1');
    else localStorage.removeItem(KEY);
  } catch {
    // Storage refused: the hint stays unknown, which only costs a request.
  }
}
