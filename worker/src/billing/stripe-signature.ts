/**
 * Stripe-style webhook signatures: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]` where each v1 is
 * HMAC-SHA256(secret, `${t}.${rawBody}`). Several v1 entries appear while a secret is being rolled.
 */
import { hmacSha256Hex, timingSafeEqualText } from '../auth/crypto';

export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

export function parseSignatureHeader(header: string): { timestamp: number; signatures: string[] } | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  return timestamp === null || signatures.length === 0 ? null : { timestamp, signatures };
}

export async function verifySignature(secret: string, header: string | undefined, rawBody: string, nowMs: number): Promise<SignatureCheck> {
  const parsed = header === undefined ? null : parseSignatureHeader(header);
  if (parsed === null) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowMs / 1000 - parsed.timestamp) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'stale' };
  const expected = await hmacSha256Hex(secret, `${parsed.timestamp}.${rawBody}`);
  for (const candidate of parsed.signatures) {
    if (await timingSafeEqualText(candidate, expected)) return { ok: true, timestamp: parsed.timestamp };
  }
  return { ok: false, reason: 'mismatch' };
}

/** Builds a header the way Stripe does (used by our tests and the local billing stand-in). */
export async function signPayload(secret: string, rawBody: string, timestampSeconds: number): Promise<string> {
  return `t=${timestampSeconds},v1=${await hmacSha256Hex(secret, `${timestampSeconds}.${rawBody}`)}`;
}
