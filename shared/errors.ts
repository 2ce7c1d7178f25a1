/**
 * The one closed vocabulary of failures in Cogzy Vault, shared by the PWA, the import worker, the edge Worker and
 * the node tools. Expected failures travel as values (`{code, message}`); platform errors are translated into one
 * of these codes at the adapter that meets them. Every message is a sentence a person understands, with what to
 * do next. Add a code here (and its message) rather than inventing a string elsewhere.
 */
import { z } from 'zod';

export const ERROR_MESSAGES = {
  // Import: input problems
  IMPORT_EMPTY_FILE: 'This file is empty. Export your history again from the provider and pick the new file.',
  IMPORT_NOT_AN_EXPORT:
    'This file does not look like a chat export from ChatGPT, Claude, Gemini, Grok, DeepSeek or Copilot. Pick the .zip or .json file the provider sent you.',
  IMPORT_TRUNCATED_JSON:
    'This export ends in the middle of its data, so it was probably cut off while downloading. Download the export again and import the new file; nothing from the broken file was kept as complete.',
  IMPORT_INVALID_JSON:
    'This export is not valid JSON where it should be. Download the export again; if it keeps happening, tell us which provider it came from.',
  IMPORT_TRUNCATED_ZIP:
    'This zip file is incomplete, so it was probably cut off while downloading. Download the export again and import the new file.',
  IMPORT_CORRUPT_ZIP: 'This zip file is damaged and cannot be opened. Download the export again and import the new file.',
  IMPORT_ENCRYPTED_ZIP:
    'This zip file is password-protected. Unzip it with your password first, then import the conversations file inside.',
  IMPORT_ZIP_NO_EXPORT:
    'This zip file holds no chat history we can read (no conversations file inside). Check that you picked the export zip from ChatGPT, Claude, Gemini or Grok.',
  IMPORT_MARKDOWN_EXPORT:
    'This is a Cogzy Vault Markdown export: it is made for reading, and cannot be imported back. To restore your vault, import the JSON backup (Settings → Your data → Export as JSON).',
  IMPORT_ZIP_BOMB:
    'This zip file expands to far more data than a chat export could hold, so it was not opened. Check where the file came from.',
  IMPORT_TOO_DEEP:
    'This file nests its data far deeper than any chat export does, so it was not read. Check that you picked the right file.',
  IMPORT_RECORD_TOO_LARGE:
    'One conversation in this export is larger than we can read at once. The rest was imported; tell us if this keeps happening.',
  IMPORT_UNSUPPORTED_ENCODING: 'This file is not UTF-8 text. Export again from the provider and import the original file.',
  IMPORT_CANCELLED: 'The import was cancelled. Nothing from the unfinished conversation was kept; start it again any time.',
  IMPORT_INTERRUPTED:
    'This import stopped when the app was closed. Everything up to that point is saved; pick the same file again to continue where it stopped.',
  IMPORT_READ_FAILED: 'The file could not be read from your device. Check that it still exists and try again.',
  IMPORT_CSV_UNCLOSED_QUOTE:
    'This CSV file has a quoted field that never ends (the details name the line where it starts), so the rest of the file cannot be read reliably. Export it again from the provider, or close that quote in a text editor, then import it again.',
  IMPORT_CSV_FIELD_TOO_LARGE:
    'One field of this CSV file is larger than any chat message could be (the details name its line), so the file was not read. Check that you picked the Copilot export, or export it again.',
  // Local storage
  STORAGE_QUOTA_EXCEEDED:
    'Your device ran out of space for the vault. Free some disk space (or allow this site more storage) and try again; nothing was half-written.',
  STORAGE_UNAVAILABLE:
    'This browser will not let Cogzy Vault store data (private mode or storage disabled). Open the app in a normal window.',
  STORAGE_UPGRADE_BLOCKED:
    'Cogzy Vault is open in another tab with an older version. Close the other tabs of Cogzy Vault, then reload this one.',
  STORAGE_FAILED: 'Saving to your vault failed. Try again; if it keeps failing, reload the app.',
  // App shell
  APP_PART_UNAVAILABLE:
    'This part of Cogzy Vault could not load, probably because the connection dropped before it was saved for offline use. Try again, or reload once you are back online.',
  // Embeddings and ask-memory (third-party APIs)
  EMBEDDER_UNAUTHORIZED: 'The embeddings service refused the API key. Check the key in Settings.',
  EMBEDDER_RATE_LIMITED: 'The embeddings service is busy (rate limited). Cogzy Vault will keep retrying; you can leave it running.',
  EMBEDDER_UNAVAILABLE: 'The embeddings service could not be reached. Check your connection or the service URL in Settings; local embedding works offline.',
  EMBEDDER_BAD_RESPONSE: 'The embeddings service answered with something we could not read. Check the model name and URL in Settings.',
  EMBEDDER_CANCELLED: 'Embedding was stopped. Vectors made so far are kept; it picks up where it stopped when you start it again.',
  MODEL_LOAD_FAILED: 'The on-device model could not be loaded. Check your connection for the first download, or choose another model in Settings.',
  CHAT_UNAVAILABLE: 'Cogzy cloud chat is not set up on this server. Choose your own endpoint or offline answers in Settings.',
  CHAT_UPSTREAM_FAILED:
    'The AI model did not answer, so this message was not counted. Try again in a moment, or switch to your own endpoint or offline answers in Settings.',
  CHAT_INTERRUPTED: 'The answer stopped part way because the AI model stopped responding. Regenerate to try again.',
  CHAT_ENDPOINT_FAILED: 'Your own AI endpoint did not answer. Check its URL, key and model in Settings, or switch to offline answers.',
  BILLING_UNAVAILABLE: 'The payment service could not be reached, and nothing was charged. Try again in a few minutes.',
  BILLING_ALREADY_PREMIUM: 'You are already on Premium. Manage or cancel your subscription from Settings.',
  BILLING_NOT_SUBSCRIBED: 'There is no paid subscription on this account to manage yet. Upgrade first.',
  // HTTP API (edge Worker)
  BAD_REQUEST: 'The request was not understood. Update the app and try again.',
  VALIDATION_FAILED: 'Some of the information sent was not valid. Check the fields and try again.',
  PAYLOAD_TOO_LARGE: 'That upload is larger than allowed. Try a smaller file.',
  UNAUTHENTICATED: 'You are not signed in, or your session expired. Sign in again.',
  FORBIDDEN: 'You are not allowed to do that.',
  CSRF_REJECTED: 'The request was blocked as a possible cross-site forgery. Reload the app and try again.',
  NOT_FOUND: 'That was not found. It may have been deleted.',
  EMAIL_TAKEN: 'An account with this email already exists. Sign in instead, or use another email.',
  INVALID_CREDENTIALS: 'That email and password do not match. Check them and try again.',
  WEAK_PASSWORD: 'Choose a longer password: at least 10 characters.',
  TOO_MANY_ATTEMPTS: 'Too many attempts. Wait a few minutes and try again.',
  RATE_LIMITED: 'Too many requests. Wait a moment and try again.',
  QUOTA_EXCEEDED: 'You have used all of today\u2019s ask-memory messages on the free plan. They reset at midnight UTC, or upgrade to Premium for unlimited messages.',
  VAULT_FULL: 'Your synced vault is full for your plan. Delete some conversations or upgrade to Premium for more space.',
  SYNC_CONFLICT: 'Another device changed the vault at the same time. Cogzy Vault will merge the changes and try again.',
  BLOB_MISSING: 'Part of the vault has not been uploaded yet. Sync again from the device that made it.',
  BLOB_HASH_MISMATCH: 'An uploaded piece of the vault was damaged on the way. Sync again to re-upload it.',
  VAULT_HISTORY_FULL:
    'Your synced vault has recorded as many deletions and settings changes as it can keep. Your data is safe on this device; contact support so we can compact it.',
  BLOB_ALREADY_UPLOADED: 'This piece of the vault is already uploaded and checked, so it must not be sent again. Sync again; nothing more needs uploading.',
  TOO_MANY_ACTIVE_UPLOADS:
    'Too many imports are still reported as in progress for this account. Let them finish, or cancel the stuck ones, then try again.',
  ACCOUNT_DELETING:
    'This account is being deleted, so nothing more can be saved to it. If deleting did not finish, sign in and delete the account again.',
  WEBHOOK_SIGNATURE_INVALID: 'The webhook signature is not valid.',
  SYNC_PROTOCOL_UNSUPPORTED:
    'This version of Cogzy Vault speaks a sync protocol the server does not know. Update the app (reload it), then sync again.',
  SYNC_CONFLICT_UNRESOLVED:
    'Other devices kept changing the vault while this one tried to sync, so it stopped after several attempts. Nothing is lost; press Sync now to try again.',
  SYNC_CLOCK_SKEW:
    'This device\u2019s clock is more than 5 minutes off from your other devices, so syncing was paused to keep edits in the right order. Set the date and time to automatic, then sync again.',
  SYNC_RETRY_LATER:
    'Cogzy\u2019s sync server is busy and asked this device to wait a few minutes. Your changes are kept on this device, and sync starts again by itself when the wait is over.',
  SYNC_SEGMENT_TAMPERED:
    'A piece of your synced vault failed its integrity check (damaged or altered), so it was not used and nothing changed on this device. Sync again; if it keeps happening, reset the cloud copy from a device you trust.',
  SYNC_SEGMENT_UNSUPPORTED:
    'Your synced vault contains data written by a newer version of Cogzy Vault. Update the app (reload it), then sync again; nothing changed on this device.',
  SYNC_VAULT_RESET:
    'The cloud copy of this vault was reset from another device, so this device cannot sync into it as it is. Use Reset from cloud to rebuild this device from the cloud, or Push all to upload this copy again.',
  SYNC_WRONG_VAULT_KEY:
    'The synced data was encrypted with a different vault key than the one this device unlocked, so nothing was read. Sign out of sync and unlock again with your current passphrase or recovery code.',
  CRYPTO_WRONG_RECOVERY_CODE: 'That recovery code does not unlock this vault. Check it (letters and digits in groups) and try again.',
  CRYPTO_WRONG_PASSPHRASE: 'That passphrase does not unlock this vault. Try again; without it, synced data cannot be read.',
  OFFLINE: 'You are offline. Everything local still works; syncing resumes when you are back online.',
  INTERNAL: 'Something went wrong on our side. Try again in a moment.',
  IMPORT_SHARED_FILE_LOST:
    'The file shared with Cogzy Vault could not be kept on this device (storage may be full). Open the Import page and choose the file there.',
  // Command-line device (cogzy)
  CLI_USAGE: 'That command was not understood. Run cogzy help to see the commands and their options.',
  CLI_NOT_SIGNED_IN: 'This computer is not signed in to Cogzy Vault. Run cogzy login first.',
  CLI_VAULT_LOCKED:
    'This computer has not unlocked your vault yet. Run cogzy unlock with your passphrase or recovery code, or set COGZY_VAULT_KEY to the value cogzy unlock --print-env gave you.',
  CLI_SYNC_NOT_SET_UP:
    'Sync is not set up for this account yet. Open Cogzy Vault in your browser, turn on sync in Settings (keep the recovery code it shows), then run cogzy unlock.',
  CLI_NO_INPUT:
    'A secret was needed but there is no terminal to type it in. Pass it through the environment (COGZY_PASSWORD, COGZY_PASSPHRASE or COGZY_RECOVERY_CODE) or pipe it with --stdin.',
  CLI_EMBEDDER_NOT_SET:
    'No embedding service is set on this computer. Set COGZY_EMBED_URL and COGZY_EMBED_MODEL (and COGZY_EMBED_KEY if the service needs a key), or run cogzy config --embed-url URL --embed-model NAME.',
  SYNC_ALREADY_SET_UP:
    'Sync was set up for this account from another device a moment ago. Unlock this device with the passphrase (or recovery code) chosen there.',
  SYNC_NOT_SET_UP: 'Sync is not set up for this account yet. Set it up on this device by choosing a passphrase.',
  SYNC_LOCKED: 'Sync is locked on this device. Unlock it with your passphrase or recovery code in Settings → Sync.',
  NOTE_CHANGED_MEANWHILE: 'This note changed on another device while you were choosing, so nothing was saved. Look at the versions again and choose.',
  MEMORY_DELETED_BEFORE:
    'You deleted this memory before, and a deleted memory stays deleted on all your devices. Word it a little differently to save it again.',
  CHAT_DELETED: 'This chat was deleted, so the answer was not saved into it. Start a new chat to keep asking.',
  CLI_OTHER_ACCOUNTS_COPY:
    'This computer keeps the vault copy of the account that signed out here last, so another account cannot sign in over it. Run cogzy logout --wipe to delete that copy (or sign in with that account), then sign in again.',
  IMPORT_WRITER_FAILED:
    'Saving this import stopped unexpectedly. Pick the file again: the import continues where it stopped, and nothing already saved is lost.',
} as const;

export type ErrorCode = keyof typeof ERROR_MESSAGES;
export const ERROR_CODES = Object.keys(ERROR_MESSAGES) as [ErrorCode, ...ErrorCode[]];
export const errorCodeSchema = z.enum(ERROR_CODES);

/** The wire and message form of a failure: what crosses worker boundaries, HTTP and storage. */
export const appErrorDataSchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
  /** Optional non-secret detail for logs and support (never a stack trace). */
  detail: z.string().optional(),
});
export type AppErrorData = z.infer<typeof appErrorDataSchema>;

/** The HTTP error envelope every API response uses on failure. */
export const errorEnvelopeSchema = z.object({ error: appErrorDataSchema });
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, options: { message?: string; detail?: string; cause?: unknown } = {}) {
    super(options.message ?? ERROR_MESSAGES[code], { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.detail = options.detail;
  }

  toData(): AppErrorData {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }

  static fromData(data: AppErrorData): AppError {
    return new AppError(data.code, data.detail === undefined ? { message: data.message } : { message: data.message, detail: data.detail });
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Turns anything thrown into the closed vocabulary; unknown failures become INTERNAL with a non-secret detail. */
export function toAppError(value: unknown, fallback: ErrorCode = 'INTERNAL'): AppError {
  if (value instanceof AppError) return value;
  const detail = value instanceof Error ? `${value.name}: ${value.message}` : String(value);
  return new AppError(fallback, { detail, cause: value });
}
