/**
 * `cogzy mcp`: the vault for other AI tools over the Model Context Protocol (stdio). The server is a device: it
 * answers from its own local copy (so it works offline), writes memories locally first and pushes them in the
 * background with the engine's retry rules, and pulls on start and then periodically (SPEC C35-C37).
 * stdout carries the protocol; anything for people goes to stderr.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { AppError, toAppError } from '../errors';
import { PROVIDERS } from '../model';
import type { SyncReport, SyncState } from '../sync/engine';
import { addMemory, deleteItem } from '../sync/vault-ops';
import { openDevice, openSyncingDevice, type Device, type SyncingDevice } from './device';
import { cliHome, embedSettings, type CliHome } from './home';
import { searchAnyMode, semanticContext, type SemanticContext } from './semantic';
import { listMemories, listRecent, readConversation } from './vault-queries';

export const MCP_TOOL_NAMES = ['search_memory', 'get_conversation', 'list_recent', 'store_memory', 'batch_store_memories', 'delete_memory', 'sync_now', 'vault_status'] as const;

/** C36: a memory (or a batch) is pushed about a second after it was stored, so a burst becomes one segment. */
const PUSH_DEBOUNCE_MS = 1000;
const DEFAULT_PULL_EVERY_S = 300;
const MAX_MEMORY_CHARS = 10_000;
const MAX_BATCH = 100;

const dateText = z
  .string()
  .refine((s) => Number.isFinite(Date.parse(s)), { message: 'use a date like 2025-03-31 or an ISO time like 2025-03-31T12:00:00Z' });

const searchInput = {
  query: z.string().trim().min(1, 'query must contain the words to look for').max(1000, 'query must be at most 1000 characters').describe('Words to look for; "quoted phrases" match exactly'),
  limit: z.number().int().min(1, 'limit must be at least 1').max(50, 'limit must be at most 50').default(10).describe('Most results to return (1-50)'),
  mode: z
    .enum(['keyword', 'semantic', 'hybrid'])
    .default('hybrid')
    .describe('keyword = BM25 over the words; semantic = by meaning (vectors); hybrid = the words first, plus what only meaning found. Without vectors on this device, semantic and hybrid answer by keywords and say so in `note`'),
  providers: z.array(z.enum(PROVIDERS)).max(PROVIDERS.length).optional().describe(`Only these sources: ${PROVIDERS.join(', ')}`),
  from: dateText.optional().describe('Only exchanges on or after this date (UTC)'),
  to: dateText.optional().describe('Only exchanges on or before this date (UTC)'),
};

const conversationInput = {
  id: z.string().trim().min(1, 'id must be a conversation id or an exchange id from search_memory').max(300).describe('Conversation id (e.g. "claude:…") or the id of one of its exchanges'),
  start: z.number().int().min(0).optional().describe('First exchange to return (0-based)'),
  end: z.number().int().min(1).optional().describe('Exchange after the last one to return'),
};

const memoryText = z.string().trim().min(1, 'text must not be empty').max(MAX_MEMORY_CHARS, `text must be at most ${MAX_MEMORY_CHARS} characters`);

interface ServerState {
  home: CliHome;
  device: Device;
  syncing: SyncingDevice | null;
  /** Why the server cannot sync (locked, signed out), or null. */
  syncBlocked: AppError | null;
  state: SyncState | 'local-only';
  lastSync: SyncReport | null;
  lastError: AppError | null;
  /** The embedding service for semantic and hybrid searches (C47), or none. */
  semantic: SemanticContext;
}

function ok(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> };
}

function failed(error: unknown): CallToolResult {
  const e = toAppError(error);
  return { isError: true, content: [{ type: 'text', text: `${e.message}${e.detail ? ` (${e.detail})` : ''}` }] };
}

async function guarded(work: () => unknown): Promise<CallToolResult> {
  try {
    return ok(await work());
  } catch (error) {
    return failed(error);
  }
}

export class VaultMcp {
  readonly server = new McpServer({ name: 'cogzy-vault', version: '0.1.0' }, { capabilities: { logging: {} } });
  private pushTimer: ReturnType<typeof setTimeout> | null = null;
  private pullTimer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly s: ServerState) {
    this.registerTools();
    this.registerResources();
  }

  static async open(home: CliHome): Promise<VaultMcp> {
    let syncing: SyncingDevice | null = null;
    let syncBlocked: AppError | null = null;
    try {
      syncing = await openSyncingDevice(home);
    } catch (error) {
      syncBlocked = toAppError(error);
      // Locked or signed out: answer from the local copy; only a missing account stops the server.
      if (syncBlocked.code === 'CLI_NOT_SIGNED_IN') throw syncBlocked;
    }
    const device = syncing ?? openDevice(home);
    const semantic = semanticContext(embedSettings(home));
    return new VaultMcp({ home, device, syncing, syncBlocked, state: syncing ? 'idle' : 'local-only', lastSync: null, lastError: null, semantic });
  }

  /** One sync in the background; failures are kept for vault_status (offline is a normal state, not a crash). */
  async sync(): Promise<SyncReport> {
    const { syncing } = this.s;
    if (syncing === null) throw this.s.syncBlocked ?? new AppError('CLI_VAULT_LOCKED');
    const report = await syncing.engine.sync();
    if (report.pulledSegments > 0) await syncing.vault.store.compactIndex();
    this.s.lastSync = report;
    this.s.state = report.state;
    this.s.lastError = report.error ? AppError.fromData(report.error) : null;
    return report;
  }

  private syncInBackground(): void {
    if (this.s.syncing === null) return;
    this.sync().catch((error: unknown) => {
      this.s.lastError = toAppError(error);
    });
  }

  /** C36: local first; the push follows shortly, retried by the engine (and by the next periodic sync). */
  private schedulePush(): void {
    if (this.s.syncing === null) return;
    if (this.pushTimer !== null) clearTimeout(this.pushTimer);
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      this.syncInBackground();
    }, PUSH_DEBOUNCE_MS);
  }

  /** C35: pull on start, then every `seconds`. */
  startSyncing(seconds: number): void {
    if (this.s.syncing === null) {
      process.stderr.write(`cogzy mcp: answering from the local copy only: ${this.s.syncBlocked?.message ?? ''}\n`);
      return;
    }
    this.syncInBackground();
    this.pullTimer = setInterval(() => this.syncInBackground(), seconds * 1000);
    this.pullTimer.unref();
  }

  private syncStateOfWrites(): string {
    return this.s.syncing === null ? 'local-only (this device cannot sync until it is unlocked)' : 'pending (pushed in the background)';
  }

  private status() {
    const r = this.s.device.vault.reader;
    return {
      account: this.s.device.account.email,
      server: this.s.device.account.server,
      deviceId: this.s.device.account.deviceId,
      syncState: this.s.state,
      canSync: this.s.syncing !== null,
      lastSync: this.s.lastSync === null ? null : { state: this.s.lastSync.state, finishedAt: new Date(this.s.lastSync.finishedAt).toISOString(), pulledSegments: this.s.lastSync.pulledSegments, pushedSegments: this.s.lastSync.pushedSegments },
      lastError: (this.s.lastError ?? this.s.syncBlocked)?.toData() ?? null,
      conversations: r.count('conversation'),
      exchanges: r.count('node'),
      memories: r.count('memory'),
      pendingChanges: r.pendingCount(),
      syncedVersion: r.cursorVersion(),
      semanticSearch: this.s.semantic.embedder !== null && r.vectorModels().some((v) => v.model === this.s.semantic.embedder?.modelId),
      embeddingModel: this.s.semantic.embedder?.modelId ?? null,
      vectors: r.vectorModels(),
    };
  }

  private registerTools(): void {
    const { server } = this;
    const reader = () => this.s.device.vault.reader;
    const host = () => this.s.device.account.server;

    server.registerTool(
      'search_memory',
      {
        title: 'Search the vault',
        description:
          'Searches every saved AI conversation (ChatGPT, Claude, Gemini, Grok, DeepSeek, Copilot) in the Cogzy Vault on this computer. Returns exchanges with ids, conversation titles, dates, a snippet and a link to open it in the app.',
        inputSchema: searchInput,
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      (args) =>
        guarded(async () => {
          // C47: semantic and hybrid use this device's vectors; without them the answer is by keywords, and `note` says why.
          return searchAnyMode(
            reader(),
            host(),
            args.query,
            {
              limit: args.limit,
              mode: args.mode,
              ...(args.providers ? { providers: args.providers } : {}),
              ...(args.from ? { from: Date.parse(args.from) } : {}),
              ...(args.to ? { to: Date.parse(args.to) } : {}),
            },
            this.s.semantic,
          );
        }),
    );

    server.registerTool(
      'get_conversation',
      {
        title: 'Read a conversation',
        description: 'Returns a conversation from the vault in reading order (optionally a range of its exchanges), by conversation id or by the id of one of its exchanges.',
        inputSchema: conversationInput,
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      (args) =>
        guarded(() => {
          if (args.start !== undefined && args.end !== undefined && args.end <= args.start) throw new AppError('VALIDATION_FAILED', { detail: 'end must be greater than start' });
          return readConversation(reader(), host(), args.id, { ...(args.start !== undefined ? { start: args.start } : {}), ...(args.end !== undefined ? { end: args.end } : {}) });
        }),
    );

    server.registerTool(
      'list_recent',
      {
        title: 'Recent conversations',
        description: 'Lists the most recently updated conversations in the vault.',
        inputSchema: { limit: z.number().int().min(1, 'limit must be at least 1').max(100, 'limit must be at most 100').default(20) },
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      (args) => guarded(() => ({ conversations: listRecent(reader(), host(), args.limit) })),
    );

    server.registerTool(
      'store_memory',
      {
        title: 'Remember something',
        description:
          'Saves a short fact about the person (a preference, a decision, context) as a memory in their vault, available to all their AI tools. Saved on this computer at once and synced in the background; equal texts are stored once.',
        inputSchema: { text: memoryText.describe('The memory, one self-contained sentence or a few') },
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      (args) =>
        guarded(async () => {
          const key = await addMemory(this.s.device.ctx, args.text);
          this.schedulePush();
          return { id: key.slice('memory:'.length), syncState: this.syncStateOfWrites() };
        }),
    );

    server.registerTool(
      'batch_store_memories',
      {
        title: 'Remember several things',
        description: `Saves up to ${MAX_BATCH} memories at once (see store_memory).`,
        inputSchema: { texts: z.array(memoryText).min(1, 'texts must hold at least one memory').max(MAX_BATCH, `texts must hold at most ${MAX_BATCH} memories`) },
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      (args) =>
        guarded(async () => {
          const ids: string[] = [];
          for (const text of args.texts) ids.push((await addMemory(this.s.device.ctx, text)).slice('memory:'.length));
          this.schedulePush();
          return { ids, syncState: this.syncStateOfWrites() };
        }),
    );

    server.registerTool(
      'delete_memory',
      {
        title: 'Forget a memory',
        description: 'Deletes a memory by its id (from store_memory or the cogzy://memories resource) on every device after sync. It stays deleted.',
        inputSchema: { id: z.string().trim().regex(/^[0-9a-f]{64}$/, 'id must be the 64-character memory id that store_memory returned') },
        annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
      },
      (args) =>
        guarded(async () => {
          if (reader().get(`memory:${args.id}`) === undefined) throw new AppError('NOT_FOUND', { detail: `no memory ${args.id} on this computer` });
          await deleteItem(this.s.device.ctx, `memory:${args.id}`);
          this.schedulePush();
          return { deleted: args.id, syncState: this.syncStateOfWrites() };
        }),
    );

    server.registerTool(
      'sync_now',
      {
        title: 'Sync now',
        description: 'Pulls what other devices added and pushes what was stored here, then reports the result.',
        inputSchema: {},
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      },
      () =>
        guarded(async () => {
          const report = await this.sync();
          if (report.error) throw AppError.fromData(report.error);
          return { state: report.state, pulledSegments: report.pulledSegments, pushedSegments: report.pushedSegments, conflicts: report.conflicts };
        }),
    );

    server.registerTool(
      'vault_status',
      {
        title: 'Vault status',
        description: 'What the vault on this computer holds and how its sync stands.',
        inputSchema: {},
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      () => guarded(() => this.status()),
    );
  }

  private registerResources(): void {
    const reader = () => this.s.device.vault.reader;
    const host = () => this.s.device.account.server;
    this.server.registerResource(
      'conversation',
      new ResourceTemplate('cogzy://conversation/{id}', {
        list: () => ({
          resources: listRecent(reader(), host(), 50).map((c) => ({ uri: `cogzy://conversation/${encodeURIComponent(c.id)}`, name: c.title || 'Untitled conversation', mimeType: 'application/json' })),
        }),
      }),
      { title: 'Conversation', description: 'A conversation from the vault, in reading order', mimeType: 'application/json' },
      (uri, variables) => {
        const raw = variables.id;
        const id = decodeURIComponent(Array.isArray(raw) ? (raw[0] ?? '') : (raw ?? ''));
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(readConversation(reader(), host(), id)) }] };
      },
    );
    this.server.registerResource(
      'memories',
      'cogzy://memories',
      { title: 'Memories', description: 'Everything the person asked their AI tools to remember', mimeType: 'application/json' },
      (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ memories: listMemories(reader()) }) }] }),
    );
  }

  close(): void {
    if (this.pushTimer !== null) clearTimeout(this.pushTimer);
    if (this.pullTimer !== null) clearInterval(this.pullTimer);
    this.s.device.close();
  }
}

export async function runMcpServer(options: { pullEverySeconds?: number | undefined; home?: CliHome } = {}): Promise<void> {
  const seconds = options.pullEverySeconds ?? DEFAULT_PULL_EVERY_S;
  if (!Number.isFinite(seconds) || seconds < 5) throw new AppError('CLI_USAGE', { detail: '--pull-every takes a number of seconds, at least 5' });
  const mcp = await VaultMcp.open(options.home ?? cliHome());
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await mcp.server.connect(transport);
  mcp.startSyncing(seconds);
  await closed;
  mcp.close();
}
