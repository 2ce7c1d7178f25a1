/**
 * The one error envelope: every failure leaves the Worker as `{error: {code, message}}` with the status from
 * STATUS_BY_CODE. Messages come from shared/errors.ts; stack traces and platform messages never reach clients.
 */
import type { Context, MiddlewareHandler, ValidationTargets } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HTTPException } from 'hono/http-exception';
import { bodyLimit } from 'hono/body-limit';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { AppError, type AppErrorData, type ErrorCode, type ErrorEnvelope } from '../../../shared/errors';
import type { AppEnv } from '../env';

/**
 * The HTTP status of every code the Worker answers with. Codes not listed here (import, local storage, embedder:
 * the client's own failures) never come from the Worker; if one does, it is our bug and answers 500.
 */
export const STATUS_BY_CODE: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  BAD_REQUEST: 400,
  SYNC_PROTOCOL_UNSUPPORTED: 400,
  VALIDATION_FAILED: 400,
  WEBHOOK_SIGNATURE_INVALID: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  CSRF_REJECTED: 403,
  NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  ACCOUNT_DELETING: 409,
  SYNC_CONFLICT: 409,
  BILLING_NOT_SUBSCRIBED: 409,
  BILLING_ALREADY_PREMIUM: 409,
  TOO_MANY_ACTIVE_UPLOADS: 409,
  BLOB_MISSING: 409,
  BLOB_ALREADY_UPLOADED: 409,
  PAYLOAD_TOO_LARGE: 413,
  BLOB_HASH_MISMATCH: 422,
  TOO_MANY_ATTEMPTS: 429,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  INTERNAL: 500,
  CHAT_UPSTREAM_FAILED: 502,
  BILLING_UNAVAILABLE: 502,
  CHAT_UNAVAILABLE: 503,
  // 507 Insufficient Storage: the request is fine, the plan has no room for it.
  VAULT_FULL: 507,
  VAULT_HISTORY_FULL: 507,
};

export function statusFor(code: ErrorCode): ContentfulStatusCode {
  return STATUS_BY_CODE[code] ?? 500;
}

/** Codes whose `detail` is safe and useful to show the client (which field was wrong); all others drop it. */
const CLIENT_DETAIL_CODES = new Set<ErrorCode>(['VALIDATION_FAILED', 'BAD_REQUEST', 'SYNC_PROTOCOL_UNSUPPORTED']);

export function errorResponse(c: Context, error: AppError): Response {
  const data: AppErrorData =
    error.detail !== undefined && CLIENT_DETAIL_CODES.has(error.code)
      ? { code: error.code, message: error.message, detail: error.detail }
      : { code: error.code, message: error.message };
  const body: ErrorEnvelope = { error: data };
  return c.json(body, statusFor(error.code));
}

function fromHttpException(error: HTTPException): AppError {
  switch (error.status) {
    case 400:
      return new AppError('BAD_REQUEST', { detail: error.message });
    case 401:
      return new AppError('UNAUTHENTICATED');
    case 403:
      return new AppError('FORBIDDEN');
    case 404:
      return new AppError('NOT_FOUND');
    case 413:
      return new AppError('PAYLOAD_TOO_LARGE');
    default:
      return new AppError('INTERNAL', { detail: `HTTPException ${error.status}: ${error.message}` });
  }
}

/** `app.onError`: AppError as is, hono's HTTP exceptions by status, zod errors as VALIDATION_FAILED, the rest INTERNAL. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof AppError) {
    if (error.code === 'INTERNAL') console.error('internal error', error.detail ?? error.message, error.cause);
    return errorResponse(c, error);
  }
  if (error instanceof HTTPException) return errorResponse(c, fromHttpException(error));
  if (error instanceof z.ZodError) return errorResponse(c, new AppError('VALIDATION_FAILED', { detail: describeIssues(error) }));
  // Every foreign key references users(id): a write that lost the race against account deletion (its session was
  // checked before the deletion started) is refused, not a 500. The final sweep removes any object it stored.
  if (/FOREIGN KEY constraint failed/.test(error.message)) return errorResponse(c, new AppError('ACCOUNT_DELETING', { detail: error.message }));
  console.error('unhandled error', error);
  return errorResponse(c, new AppError('INTERNAL'));
}

/** `app.notFound`: unknown paths answer with the envelope too. */
export function handleNotFound(c: Context<AppEnv>): Response {
  return errorResponse(c, new AppError('NOT_FOUND'));
}

/** `path: message; path: message` for the first few issues: enough for a developer, never the submitted values. */
export function describeIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}

/**
 * zod validation for a request part, failing with the envelope (VALIDATION_FAILED and which fields) instead of
 * @hono/zod-validator's default body. A JSON body sent without `Content-Type: application/json` validates as `{}`.
 */
export function validate<Target extends keyof ValidationTargets, Schema extends z.ZodType>(target: Target, schema: Schema) {
  return zValidator(target, schema, (result) => {
    if (!result.success) throw new AppError('VALIDATION_FAILED', { detail: describeIssues(result.error) });
  });
}

/** Refuses bodies larger than `maxBytes` (by Content-Length, or while streaming) with PAYLOAD_TOO_LARGE. */
export function limitBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE');
    },
  });
}

/** The default body limit for JSON API routes (accounts, usage, webhooks, admin). */
export const JSON_BODY_LIMIT_BYTES = 64 * 1024;
