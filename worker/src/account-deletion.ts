/**
 * Account deletion in phases, so that no write racing it can leave rows or objects behind or answer 500:
 *   1. mark the account deleting (D1): from here its sessions can only finish the deletion (auth/middleware.ts);
 *   2. new writes are refused: direct PUTs, presigned-upload verification, commits, everything (409 ACCOUNT_DELETING);
 *      a write already past the session check when the mark landed fails its foreign key once the rows are gone,
 *      which answers 409 too (http/errors.ts);
 *   3. delete every object under the user's prefix (a sweep of users/{id}/, not only the objects D1 knows about);
 *   4. delete the rows.
 * A presigned PUT URL issued before step 1 stays valid at the store until it expires, and a racing direct PUT may land
 * after step 3, so the prefix is swept once more by the scheduled handler after every such URL has expired. That
 * final sweep also finishes a deletion abandoned halfway (blob store down, client gone).
 */
import { PRESIGN_EXPIRES_SECONDS } from '../../shared/sync/protocol';
import type { AppDeps, Env } from './env';
import { dueAccountDeletions, forgetAccountDeletion, markAccountDeleting } from './repos/account-deletions';
import { deleteUserRows, findUserById } from './repos/users';

/** After the last presigned PUT URL could be used, plus room for a direct PUT in flight. */
export const FINAL_SWEEP_DELAY_MS = PRESIGN_EXPIRES_SECONDS * 1000 + 5 * 60 * 1000;
/** Deletions finished per scheduled run (each is one prefix sweep). */
const SWEEPS_PER_RUN = 20;

export async function deleteAccount(env: Env, deps: AppDeps, user: { id: string; email: string }): Promise<void> {
  const now = deps.now();
  await markAccountDeleting(env.DB, user.id, now, now + FINAL_SWEEP_DELAY_MS);
  // Objects before rows: if the blob store fails, the account (and the way to retry) is still there.
  await deps.deleteAllUserBlobs(env, user.id);
  await deleteUserRows(env.DB, user);
}

/** The scheduled part: the final sweep of each deleted account's prefix once it is due. Returns the users swept. */
export async function finishAccountDeletions(env: Env, deps: AppDeps): Promise<string[]> {
  const due = await dueAccountDeletions(env.DB, deps.now(), SWEEPS_PER_RUN);
  for (const userId of due) {
    await deps.deleteAllUserBlobs(env, userId);
    const abandoned = await findUserById(env.DB, userId);
    if (abandoned !== null) await deleteUserRows(env.DB, abandoned);
    await forgetAccountDeletion(env.DB, userId);
  }
  return due;
}
