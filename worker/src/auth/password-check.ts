/**
 * One password check, as login, password change and account deletion do it: throttled (repos/login-attempts.ts),
 * against the login secret (or, once, the password of an account from before login secrets, which is then migrated),
 * with the same work whether or not the account exists.
 */
import type { Context } from 'hono';
import { AppError } from '../../../shared/errors';
import type { PasswordProof } from '../../../shared/auth/protocol';
import type { AppEnv } from '../env';
import { clientIp } from '../http/client';
import { isKnownDevice } from '../repos/known-devices';
import { claimPasswordAttempt, clearFailures } from '../repos/login-attempts';
import { updatePassword, type UserRecord } from '../repos/users';
import { burnPasswordCheck, hashPassword, PBKDF2_ITERATIONS, sha256HexOfText, verifyPassword } from './crypto';
import { issuedLoginKdf } from './login-kdf';

async function proofMatches(c: Context<AppEnv>, user: UserRecord | null, proof: PasswordProof): Promise<boolean> {
  if (user === null) return (await burnPasswordCheck(proof.secret), false);
  if (user.loginKdf === null) {
    // An account from before login secrets: its hash is over the password. Check that once, then keep a hash over the
    // secret the client derived with the parameters it was just issued (login-params said `legacyPassword`).
    if (proof.password === undefined) return (await burnPasswordCheck(proof.secret), false);
    if (!(await verifyPassword(proof.password, user.password))) return false;
    await updatePassword(c.env.DB, user.id, await hashPassword(proof.secret), await issuedLoginKdf(c.env, user.email));
    return true;
  }
  if (!(await verifyPassword(proof.secret, user.password))) return false;
  // Hashes made with fewer iterations (an older setting) are upgraded while the secret is at hand.
  if (user.password.iterations < PBKDF2_ITERATIONS) await updatePassword(c.env.DB, user.id, await hashPassword(proof.secret), user.loginKdf);
  return true;
}

/** True when `deviceToken` was handed to this account's device at an earlier sign-in. */
export async function knownDevice(c: Context<AppEnv>, user: UserRecord | null, deviceToken: string | undefined): Promise<boolean> {
  if (user === null || deviceToken === undefined) return false;
  return isKnownDevice(c.env.DB, user.id, await sha256HexOfText(deviceToken), c.var.deps.now());
}

/** Throws TOO_MANY_ATTEMPTS when throttled, INVALID_CREDENTIALS when the proof does not match (or no such account). */
export async function assertPasswordProof(
  c: Context<AppEnv>,
  email: string,
  user: UserRecord | null,
  proof: PasswordProof,
  device: { known: boolean },
): Promise<UserRecord> {
  const ip = clientIp(c);
  if (!(await claimPasswordAttempt(c.env.DB, email, ip, c.var.deps.now(), { knownDevice: device.known }))) throw new AppError('TOO_MANY_ATTEMPTS');
  if (!(await proofMatches(c, user, proof)) || user === null) throw new AppError('INVALID_CREDENTIALS');
  await clearFailures(c.env.DB, email, ip);
  return user;
}
