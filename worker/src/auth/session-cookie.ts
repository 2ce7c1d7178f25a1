/**
 * The session cookie. Over HTTPS it is `__Host-cogzy_session` (Secure, Path=/, no Domain: browsers refuse it from
 * any other host or a plain-HTTP page, so a sibling subdomain cannot plant one). Local development serves plain HTTP on
 * a loopback address, where not every browser keeps Secure cookies, so there (and only there) the cookie is
 * `cogzy_session` without Secure. Both are HttpOnly and SameSite=Lax.
 * The known-device cookie (`__Host-cogzy_device` / `cogzy_device`, a year, HttpOnly, SameSite=Strict) follows the same
 * naming rule; it outlives sign-out on purpose (repos/login-attempts.ts).
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { SESSION_TTL_MS } from '../repos/sessions';

const SECURE_NAME = '__Host-cogzy_session';
const LOCAL_NAME = 'cogzy_session';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isLocalPlainHttp(c: Context): boolean {
  const url = new URL(c.req.url);
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

export function readSessionCookie(c: Context): string | undefined {
  return getCookie(c, isLocalPlainHttp(c) ? LOCAL_NAME : SECURE_NAME);
}

/** `lifetimeMs`: how long the session has left (less than SESSION_TTL_MS near its absolute cap). */
export function writeSessionCookie(c: Context, token: string, lifetimeMs = SESSION_TTL_MS): void {
  const local = isLocalPlainHttp(c);
  setCookie(c, local ? LOCAL_NAME : SECURE_NAME, token, {
    httpOnly: true,
    secure: !local,
    sameSite: 'Lax',
    path: '/',
    maxAge: Math.floor(lifetimeMs / 1000),
  });
}

export function clearSessionCookie(c: Context): void {
  const local = isLocalPlainHttp(c);
  deleteCookie(c, local ? LOCAL_NAME : SECURE_NAME, { path: '/', secure: !local, httpOnly: true, sameSite: 'Lax' });
}

const DEVICE_SECURE_NAME = '__Host-cogzy_device';
const DEVICE_LOCAL_NAME = 'cogzy_device';
const DEVICE_COOKIE_SECONDS = 365 * 24 * 60 * 60;

export function readDeviceCookie(c: Context): string | undefined {
  return getCookie(c, isLocalPlainHttp(c) ? DEVICE_LOCAL_NAME : DEVICE_SECURE_NAME);
}

export function writeDeviceCookie(c: Context, token: string): void {
  const local = isLocalPlainHttp(c);
  setCookie(c, local ? DEVICE_LOCAL_NAME : DEVICE_SECURE_NAME, token, {
    httpOnly: true,
    secure: !local,
    sameSite: 'Strict',
    path: '/',
    maxAge: DEVICE_COOKIE_SECONDS,
  });
}
