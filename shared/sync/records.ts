/**
 * What a vault is made of, as the sync engine sees it: records addressed by a key, and sticky tombstones by id.
 * Segments carry these (segment.ts); merge.ts combines them; LocalStore adapters map them onto their tables.
 */
import { z } from 'zod';
import { conversationSchema, memoryNodeSchema } from '../model';

const hlcSchema = z.string().min(1).max(120);

export const conversationRecordSchema = z.object({ type: z.literal('conversation'), id: z.string().min(1), value: conversationSchema });
export const nodeRecordSchema = z.object({ type: z.literal('node'), id: z.string().min(1), value: memoryNodeSchema });
/**
 * A vector of the remote embedding model, quantised to int8 (`data` = base64 of the bytes, `scale` multiplies them
 * back), so a phone does not re-embed what a laptop already did. Synced in their own segment kind.
 */
export const vectorRecordSchema = z.object({
  type: z.literal('vector'),
  /** `${model}|${nodeId}` */
  id: z.string().min(1),
  nodeId: z.string().min(1),
  conversationId: z.string().min(1),
  model: z.string().min(1),
  scale: z.number().finite().positive(),
  data: z.string(),
});
/**
 * Last-writer-wins by hybrid logical clock: `title:<conversation id>`, `pin:<record key>`, `tags:<record key>`,
 * `setting:<name>` (only settings their owner marks as synced: never an API key).
 */
export const lwwRecordSchema = z.object({ type: z.literal('lww'), id: z.string().min(1), value: z.json(), hlc: hlcSchema });
/** A personal memory ("things my AI should know about me"); the id is a hash of its normalised text, so equal texts dedupe. */
export const memoryRecordSchema = z.object({ type: z.literal('memory'), id: z.string().min(1), text: z.string(), hlc: hlcSchema });
/**
 * One version of the note on a conversation. Versions are a union; a version supersedes its `parents`; the note's
 * text is resolved from the versions nobody superseded (merge.ts `resolveNote`).
 */
export const noteVersionRecordSchema = z.object({
  type: z.literal('note'),
  /** `${conversationId}|${version}` */
  id: z.string().min(1),
  conversationId: z.string().min(1),
  /** The HLC of the edit: unique per device and ordered. */
  version: hlcSchema,
  parents: z.array(hlcSchema),
  /** The text the edit started from (the resolved note at the time), for the line-wise merge. */
  base: z.string(),
  text: z.string(),
});

export const syncRecordSchema = z.discriminatedUnion('type', [
  conversationRecordSchema,
  nodeRecordSchema,
  vectorRecordSchema,
  lwwRecordSchema,
  memoryRecordSchema,
  noteVersionRecordSchema,
]);
export type SyncRecord = z.infer<typeof syncRecordSchema>;
export type NoteVersionRecord = z.infer<typeof noteVersionRecordSchema>;
export type LwwRecord = z.infer<typeof lwwRecordSchema>;
export type JsonValue = LwwRecord['value'];

export function recordKey(record: Pick<SyncRecord, 'type' | 'id'>): string {
  return `${record.type}:${record.id}`;
}

/**
 * The keys whose deletion also deletes this record: a node's conversation, a vector's node and conversation, a
 * note's or title's conversation, the target of a pin or tags. Tombstones are record keys the person deleted (C9);
 * whether a record is alive is a function of the record and the tombstone set alone, so devices agree.
 */
export function ownerKeys(record: SyncRecord): string[] {
  switch (record.type) {
    case 'node':
      return [`conversation:${record.value.conversationId}`];
    case 'vector':
      return [`node:${record.nodeId}`, `conversation:${record.conversationId}`];
    case 'note':
      return [`conversation:${record.conversationId}`];
    case 'lww': {
      const colon = record.id.indexOf(':');
      const scope = record.id.slice(0, colon);
      const target = record.id.slice(colon + 1);
      if (scope === 'title') return [`conversation:${target}`];
      return scope === 'pin' || scope === 'tags' ? [target] : [];
    }
    default:
      return [];
  }
}

/** JSON with sorted object keys: equal records give equal strings on every device (digests, tie-breaks). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
