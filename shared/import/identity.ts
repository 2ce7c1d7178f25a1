/**
 * Content-hash identity of memory nodes. A node's id is the hex SHA-256 of a canonical encoding of
 * (provider, conversation id, kind, normalised human text, normalised assistant text, k), where k counts earlier
 * nodes of the same conversation with the same (kind, human, assistant) texts. So a "continue"/"continue" pair does
 * not collide, re-importing the same file gives the same ids, and a later cumulative export (same turns plus new
 * ones appended) gives the old ids for the old turns and new ids only for the new turns.
 *
 * SHA-256 is injected (`digest`), so shared/ touches no platform global; the web passes a crypto.subtle-based one.
 */
import { AppError } from '../errors';
import type { MemoryNode, Provider } from '../model';
import type { NodeDraft } from './provider';

export type Digest = (bytes: Uint8Array) => Promise<Uint8Array>;

/** Identity version: part of the encoding so a future change of the rules can never collide with today's ids. */
const IDENTITY_VERSION = 'cogzy-node/1';

/** NFC, line endings to LF, trailing spaces and tabs removed from each line, outer whitespace trimmed. */
export function normaliseText(text: string): string {
  let out = text.normalize('NFC');
  // The regular expressions are costly on long texts: run them only when there is something to change.
  if (out.includes('\r')) out = out.replace(/\r\n?/g, '\n');
  if (out.includes(' \n') || out.includes('\t\n')) out = out.replace(/[ \t]+$/gm, '');
  return out.trim();
}

/** The exact bytes that are hashed: a JSON array of strings and one integer is unambiguous and canonical. */
export function identityBytes(
  provider: Provider,
  conversationId: string,
  kind: MemoryNode['kind'],
  humanText: string,
  assistantText: string | null,
  occurrence: number,
): Uint8Array {
  return canonicalBytes(provider, conversationId, kind, normaliseText(humanText), assistantText === null ? null : normaliseText(assistantText), occurrence);
}

function canonicalBytes(provider: Provider, conversationId: string, kind: MemoryNode['kind'], human: string, assistant: string | null, occurrence: number): Uint8Array {
  return encoder.encode(JSON.stringify([IDENTITY_VERSION, provider, conversationId, kind, human, assistant, occurrence]));
}

const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Built with join, not +=: a concatenated id would stay a rope of 32 pieces (kilobytes per id in a big Set). */
function toHex(bytes: Uint8Array): string {
  const out = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i += 1) out[i] = HEX[bytes[i] as number] as string;
  return out.join('');
}

/**
 * Gives every draft of one conversation its id, in the order given (active thread first, so appending turns never
 * shifts an earlier node's occurrence counter). The digests of a conversation run as one batch.
 */
export async function assignNodeIds(
  provider: Provider,
  conversationId: string,
  drafts: readonly NodeDraft[],
  digest: Digest,
): Promise<MemoryNode[]> {
  const seen = new Map<string, number>();
  const inputs = drafts.map((draft) => {
    const human = normaliseText(draft.human.text);
    const assistant = draft.assistant === null ? null : normaliseText(draft.assistant.text);
    const key = `${draft.kind}\u0000${human}\u0000${assistant ?? '\u0001'}`;
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    return canonicalBytes(provider, conversationId, draft.kind, human, assistant, occurrence);
  });
  const hashes = await Promise.all(inputs.map((bytes) => digest(bytes)));
  return drafts.map((draft, index) => {
    const hash = hashes[index];
    if (hash === undefined || hash.length !== 32) throw new AppError('INTERNAL', { detail: 'digest must return 32 bytes (SHA-256)' });
    return { schemaVersion: 1, id: toHex(hash), ...draft };
  });
}
