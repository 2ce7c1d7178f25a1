/**
 * The person's embedding choice, stored in the settings table under 'embedder' (versioned; read loosely, written
 * strictly). The API key stays on this device, in IndexedDB, and is sent only to the configured service.
 * `lastLocal` remembers the on-device model after the person switched away from it, so its stored vectors can
 * still answer searches while a remote service is unreachable.
 *
 *   loadEmbedderSettings(db, fallback?): Promise<EmbedderSettings>
 *   saveEmbedderSettings(db, settings): Promise<void>
 */
import { z } from 'zod';
import { withStorageErrors, type VaultDatabase } from '../db/database';
import { DEFAULT_LOCAL_MODEL } from './transformers-embedder';

const EMBEDDER_SETTING_KEY = 'embedder';

const remoteSettingsSchema = z.object({
  kind: z.literal('remote'),
  baseUrl: z.string().url(),
  model: z.string().min(1),
  apiKey: z.string(),
  dimensions: z.number().int().positive().max(8192).nullable(),
  batchSize: z.number().int().min(1).max(2048),
  concurrency: z.number().int().min(1).max(1024),
});

const localSettingsSchema = z.object({
  kind: z.literal('local'),
  model: z.string().min(1),
  /** Tests and self-hosters serve model files from the app ('/models/'); otherwise the hub is used once. */
  localModelPath: z.string().nullable(),
});

const embedderSettingsSchema = z.object({
  version: z.literal(1),
  choice: z.discriminatedUnion('kind', [z.object({ kind: z.literal('off') }), remoteSettingsSchema, localSettingsSchema]),
  /** Absent in settings saved before it existed; an unreadable one is dropped rather than losing the whole choice. */
  lastLocal: localSettingsSchema.optional().catch(undefined),
});
export type EmbedderSettings = z.infer<typeof embedderSettingsSchema>;
export type RemoteSettings = z.infer<typeof remoteSettingsSchema>;
export type LocalSettings = z.infer<typeof localSettingsSchema>;

export const OFF: EmbedderSettings = { version: 1, choice: { kind: 'off' } };

export function defaultRemote(baseUrl = 'https://api.openai.com'): RemoteSettings {
  return { kind: 'remote', baseUrl, model: 'text-embedding-3-small', apiKey: '', dimensions: null, batchSize: 64, concurrency: 4 };
}

export function defaultLocal(): LocalSettings {
  return { kind: 'local', model: DEFAULT_LOCAL_MODEL, localModelPath: null };
}

export async function loadEmbedderSettings(db: VaultDatabase, fallback: EmbedderSettings = OFF): Promise<EmbedderSettings> {
  const row = await withStorageErrors(() => db.settings.get(EMBEDDER_SETTING_KEY));
  const parsed = embedderSettingsSchema.safeParse(row?.value);
  return parsed.success ? parsed.data : fallback;
}

export async function saveEmbedderSettings(db: VaultDatabase, settings: EmbedderSettings): Promise<void> {
  const value = embedderSettingsSchema.parse(settings);
  await withStorageErrors(() => db.settings.put({ key: EMBEDDER_SETTING_KEY, value }));
}
