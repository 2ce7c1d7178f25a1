/**
 * The `cogzy` commands. Each returns a value (printed as JSON with --json) and a text for people; failures are
 * thrown as AppError and turned into a sentence and an exit code by main.ts.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { once } from 'node:events';
import { AppError, toAppError } from '../errors';
import { importExport, type ImportReport } from '../import';
import { fileSource } from './file-source';
import { VAULT_BACKUP_FORMAT, VAULT_BACKUP_VERSION } from '../import/providers/vault-backup';
import { PROVIDERS, type Conversation, type MemoryNode, type Provider } from '../model';
import type { SyncReport } from '../sync/engine';
import { importItems } from '../sync/vault-ops';
import { toConversationRow, type NodeRow } from '../../web/src/db/database';
import { conversationMarkdown } from '../../web/src/vault/export';
import { z } from 'zod';
import type { SearchMode } from '../../web/src/search/types';
import { login, logout, openDevice, openSyncingDevice, unlock, type Device } from './device';
import { cliHome, embedSettings, forgetLocalCopy, keyToEnv, readAccount, readConfig, readKey, writeConfig, type CliHome, type EmbedSettings } from './home';
import { choose, secret, visible } from './prompt';
import { embedMissingVectors, searchAnyMode, semanticContext, type EmbedReport, type ModeAnswer } from './semantic';
import { conversationText, readConversation } from './vault-queries';

export interface CommandResult {
  json: Record<string, unknown>;
  text: string;
}

export interface CommandInput {
  positionals: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
  home?: CliHome;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const usage = (detail: string): AppError => new AppError('CLI_USAGE', { detail });

function intFlag(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw usage(`--${name} takes a whole number from 1 to ${max}`);
  return n;
}

/** YYYY-MM-DD (UTC) or a full ISO time; `end` makes a bare date inclusive of its whole day. */
export function dateFlag(value: unknown, name: string, end = false): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(ms)) throw usage(`--${name} takes a date like 2025-03-31`);
  return end && /^\d{4}-\d{2}-\d{2}$/.test(text) ? ms + 86_400_000 - 1 : ms;
}

function providersFlag(value: unknown): Provider[] {
  const list = (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
  for (const p of list) if (!(PROVIDERS as readonly string[]).includes(p)) throw usage(`--provider is one of ${PROVIDERS.join(', ')}`);
  return list as Provider[];
}

const SEARCH_MODES = ['keyword', 'semantic', 'hybrid'] as const;

function modeFlag(value: unknown): SearchMode {
  if (value === undefined) return 'keyword';
  const mode = SEARCH_MODES.find((m) => m === value);
  if (mode === undefined) throw usage(`--mode is one of ${SEARCH_MODES.join(', ')}`);
  return mode;
}

function syncSummary(report: SyncReport): string {
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  return `Sync ${report.state}: pulled ${report.pulledSegments} segment(s) (${kb(report.bytesDown)}), pushed ${report.pushedSegments} (${kb(report.bytesUp)})${report.conflicts ? `, ${report.conflicts} conflict(s) merged` : ''}.`;
}

/** Runs one sync; a sync that ended in any state but in-sync is a failure with the engine's error. */
export async function runSync(home: CliHome, onState?: (state: string) => void): Promise<SyncReport> {
  const device = await openSyncingDevice(home, onState ? { onState } : {});
  try {
    const report = await device.engine.sync();
    if (report.pulledSegments > 0) await device.vault.store.compactIndex();
    if (report.state !== 'in-sync') throw report.error ? AppError.fromData(report.error) : new AppError('INTERNAL', { detail: `sync ended ${report.state}` });
    return report;
  } finally {
    device.close();
  }
}

async function cmdLogin({ flags, home = cliHome() }: CommandInput): Promise<CommandResult> {
  const server = str(flags.server) ?? process.env.COGZY_SERVER ?? readAccount(home)?.server;
  if (server === undefined) throw usage('cogzy login needs --server URL (or COGZY_SERVER), the address of your Cogzy Vault');
  if (!/^https?:\/\//.test(server)) throw usage('--server must start with https:// (or http:// for a local server)');
  const email = str(flags.email) ?? (await visible('Email: ', 'COGZY_EMAIL'));
  const password = await secret('Password: ', 'COGZY_PASSWORD', flags.stdin === true);
  const account = await login(home, server, email, password);
  return { json: { server: account.server, email: account.email, deviceId: account.deviceId }, text: `Signed in to ${account.server} as ${account.email}. Next: cogzy unlock.` };
}

/**
 * `cogzy logout --keep | --wipe` (C48-C50): the session, the vault key and config.json always go; the local copy
 * stays with --keep and goes with --wipe (refused while it holds unpushed changes, unless --yes). Without either,
 * a terminal is asked the app's question; --json or no terminal needs the flag, and nothing changes without it.
 */
async function cmdLogout({ flags, home = cliHome() }: CommandInput): Promise<CommandResult> {
  if (flags.keep === true && flags.wipe === true) throw usage('cogzy logout takes --keep or --wipe, not both');
  let choice: 'keep' | 'wipe' | null = flags.keep === true ? 'keep' : flags.wipe === true ? 'wipe' : null;
  if (choice === null && flags.json !== true) {
    choice = await choose("Keep this computer's copy of your vault, or wipe it (for example on a shared computer)? [k]eep / [w]ipe: ", { k: 'keep', w: 'wipe' });
  }
  if (choice === null) throw usage("cogzy logout needs --keep (keep this computer's copy of your vault) or --wipe (delete it)");
  const account = readAccount(home);
  let pending = 0;
  if (account !== null && existsSync(home.vaultFile)) {
    const device = openDevice(home);
    try {
      pending = device.vault.reader.pendingCount();
    } finally {
      device.close();
    }
  }
  if (choice === 'wipe' && pending > 0 && flags.yes !== true) {
    throw usage(`${pending} local change(s) were never pushed and would be lost: run cogzy sync first, or cogzy logout --wipe --yes to drop them`);
  }
  const { revoked } = await logout(home, choice === 'keep');
  const session = revoked ? 'Signed out' : 'Signed out (the server could not be reached; the session ends when it expires)';
  const text =
    choice === 'keep'
      ? `${session}. The vault key and this computer's settings are deleted; your vault's copy stays here${pending > 0 ? ` with ${pending} change(s) to push after you sign in again` : ''}.`
      : `${session}. The vault key, this computer's settings and its copy of your vault are deleted${pending > 0 ? ` (${pending} unpushed change(s) dropped)` : ''}.`;
  return { json: { revoked, kept: choice === 'keep', dropped: choice === 'wipe' ? pending : 0, pending: choice === 'keep' ? pending : 0 }, text };
}

async function cmdUnlock({ flags, home = cliHome() }: CommandInput): Promise<CommandResult> {
  const byCode = flags['recovery-code'] === true || (!process.env.COGZY_PASSPHRASE && Boolean(process.env.COGZY_RECOVERY_CODE));
  const value = byCode
    ? { recoveryCode: await secret('Recovery code: ', 'COGZY_RECOVERY_CODE', flags.stdin === true) }
    : { passphrase: await secret('Vault passphrase: ', 'COGZY_PASSPHRASE', flags.stdin === true) };
  const printEnv = flags['print-env'] === true;
  const key = await unlock(home, value, !printEnv);
  if (printEnv) return { json: { COGZY_VAULT_KEY: keyToEnv(key) }, text: `COGZY_VAULT_KEY=${keyToEnv(key)}` };
  return { json: { unlocked: true, keyFile: home.keyFile }, text: `Vault unlocked; the key is kept in ${home.keyFile} (readable only by you). Next: cogzy sync.` };
}

async function cmdSync({ flags, home = cliHome() }: CommandInput): Promise<CommandResult> {
  const report = await runSync(home, flags.json === true || !process.stderr.isTTY ? undefined : (state) => process.stderr.write(`\r${state}…          `));
  if (flags.json !== true && process.stderr.isTTY) process.stderr.write('\r');
  return { json: { report }, text: syncSummary(report) };
}

function cmdStatus({ home = cliHome() }: CommandInput): Promise<CommandResult> {
  return Promise.resolve(statusOf(home));
}

function statusOf(home: CliHome): CommandResult {
  const account = readAccount(home);
  const unlocked = readKey(home) !== null;
  if (account === null) return { json: { signedIn: false, unlocked, home: home.dir }, text: `Not signed in (home ${home.dir}). Run cogzy login.` };
  const device = openDevice(home);
  try {
    const r = device.vault.reader;
    const status = {
      signedIn: account.token !== null,
      server: account.server,
      email: account.email,
      deviceId: account.deviceId,
      unlocked,
      home: home.dir,
      conversations: r.count('conversation'),
      exchanges: r.count('node'),
      memories: r.count('memory'),
      pendingChanges: r.pendingCount(),
      syncedVersion: r.cursorVersion(),
      vectors: r.vectorModels(),
    };
    const text = [
      `${status.email} on ${status.server} (device ${status.deviceId}), vault ${unlocked ? 'unlocked' : 'locked: run cogzy unlock'}`,
      `Local copy: ${status.conversations} conversations, ${status.exchanges} exchanges, ${status.memories} memories`,
      `Sync: at version ${status.syncedVersion}, ${status.pendingChanges} local change(s) waiting to be pushed`,
      ...status.vectors.map((v) => `Vectors of ${v.model.replace(/^remote:/, '')} (${v.dim} dimensions): ${v.count} exchanges`),
    ].join('\n');
    return { json: status, text };
  } finally {
    device.close();
  }
}

async function cmdReset({ flags, home = cliHome() }: CommandInput): Promise<CommandResult> {
  const device = openDevice(home);
  const pending = device.vault.reader.pendingCount();
  device.close();
  if (pending > 0 && flags.yes !== true) {
    throw usage(`${pending} local change(s) were never pushed and would be lost: run cogzy sync first, or cogzy reset --yes to drop them`);
  }
  forgetLocalCopy(home);
  const report = await runSync(home);
  return { json: { dropped: pending, report }, text: `Rebuilt this computer's copy from the cloud. ${syncSummary(report)}` };
}

/** Index merges during a long import (every this many transactions), as the app's import pipeline does. */
const COMPACT_EVERY_GROUPS = 16;

function progressBar(file: string, read: number, total: number | null, nodes: number): string {
  const width = 28;
  const share = total ? Math.min(1, read / total) : 0;
  const filled = Math.round(share * width);
  return `\r${basename(file).slice(0, 24)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${(read / 1e6).toFixed(1)}/${((total ?? 0) / 1e6).toFixed(1)} MB, ${nodes} new exchanges`;
}

/**
 * The importer's batches are joined into one transaction of about this many exchanges (or GROUP_BYTES of the file):
 * every transaction rewrites the pages it touches in the id-keyed indexes (node ids are hashes, so a batch touches
 * most of them), and those rewrites grow with the vault, so fewer, larger transactions write far less.
 */
const GROUP_NODES = 4_000;
const GROUP_BYTES = 16 * 1024 * 1024;

/**
 * Imports one export into the local copy, a group of the importer's batches per transaction (indexed as it lands,
 * all or nothing; an interrupted import is resumed by importing the file again: what landed counts as known); the
 * ids of the nodes it holds go into `nodeIds` when given (to embed them afterwards).
 */
export async function importFile(
  device: Device,
  path: string,
  onProgress?: (line: string) => void,
  nodeIds?: Set<string>,
): Promise<ImportReport & { added: number; skippedDeleted: number }> {
  const reader = device.vault.reader;
  const importer = importExport(fileSource(path), {
    digest: (bytes) => Promise.resolve(new Uint8Array(createHash('sha256').update(bytes).digest())),
    now: () => Date.now(),
    isKnown: (ids) => Promise.resolve(ids.map((id) => reader.hasNode(id))),
  });
  let added = 0;
  let skippedDeleted = 0;
  let groups = 0;
  let group: { conversations: Conversation[]; nodes: MemoryNode[]; fromByte: number } = { conversations: [], nodes: [], fromByte: 0 };
  const write = async (bytesRead: number): Promise<void> => {
    if (group.conversations.length === 0 && group.nodes.length === 0) return;
    const outcome = await importItems(device.ctx, group);
    group = { conversations: [], nodes: [], fromByte: bytesRead };
    added += outcome.added;
    skippedDeleted += outcome.skippedDeleted;
    // As the app's import pipeline: merge during a long import so searching while it runs stays quick.
    if (++groups % COMPACT_EVERY_GROUPS === 0) await device.vault.store.compactIndex();
  };
  for (;;) {
    const step = await importer.next();
    if (step.done === true) {
      await write(0);
      if (added > 0) await device.vault.store.compactIndex();
      return { ...step.value, added, skippedDeleted };
    }
    for (const item of step.value.items) {
      group.conversations.push(item.conversation);
      for (const node of item.nodes) group.nodes.push(node);
      if (nodeIds) for (const node of item.nodes) nodeIds.add(node.id);
    }
    const { bytesRead, totalBytes, nodes } = step.value.progress;
    if (group.nodes.length >= GROUP_NODES || bytesRead - group.fromByte >= GROUP_BYTES) await write(bytesRead);
    onProgress?.(progressBar(path, bytesRead, totalBytes, nodes));
  }
}

function embedProgress(done: number, total: number): string {
  const width = 28;
  const filled = total > 0 ? Math.round((done / total) * width) : width;
  return `\rvectors [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} exchanges`;
}

/** Embeds what is missing; returns the report, or the failure's data (the import itself stays done). */
async function embedAfterImport(device: Device, settings: EmbedSettings, nodeIds: ReadonlySet<string>, bar?: (line: string) => void): Promise<{ report: EmbedReport | null; error: AppError | null }> {
  const semantic = semanticContext(settings);
  if (semantic.embedder === null) return { report: null, error: null };
  try {
    const report = await embedMissingVectors(device, { ...semantic, embedder: semantic.embedder }, { only: nodeIds, ...(bar ? { onProgress: (d, t) => bar(embedProgress(d, t)) } : {}) });
    return { report, error: null };
  } catch (error) {
    return { report: null, error: toAppError(error, 'EMBEDDER_UNAVAILABLE') };
  } finally {
    if (bar) process.stderr.write('\n');
  }
}

async function cmdImport({ positionals, flags, home = cliHome() }: CommandInput): Promise<CommandResult> {
  if (positionals.length === 0) throw usage('cogzy import needs at least one export file');
  const settings = flags['no-embed'] === true ? null : embedSettings(home);
  const device = openDevice(home);
  const bar = process.stderr.isTTY && flags.json !== true ? (line: string) => process.stderr.write(line) : undefined;
  const results: { file: string; status: string; conversations: number; newExchanges: number; duplicates: number; skippedDeleted: number; seconds: number; error: unknown }[] = [];
  const nodeIds = settings === null ? undefined : new Set<string>();
  let embedded: { report: EmbedReport | null; error: AppError | null } = { report: null, error: null };
  const bulk = device.vault.store.bulkWrites();
  try {
    for (const file of positionals) {
      const report = await importFile(device, file, bar, nodeIds);
      if (bar) process.stderr.write('\n');
      results.push({
        file,
        status: report.status,
        conversations: report.conversations,
        newExchanges: report.nodes,
        duplicates: report.duplicates,
        skippedDeleted: report.skippedDeleted,
        seconds: report.ms / 1000,
        error: report.error ?? null,
      });
      if (report.status !== 'complete') throw report.error ? AppError.fromData(report.error) : new AppError('INTERNAL', { detail: `import ${report.status}` });
    }
    // C46: the exchanges of these files that have no vector of this computer's model get one (pushed with them).
    if (settings !== null && nodeIds !== undefined && nodeIds.size > 0) embedded = await embedAfterImport(device, settings, nodeIds, bar);
  } finally {
    bulk.end();
    device.close();
  }
  const lines = results.map((r) => `${r.file}: ${r.conversations} conversations, ${r.newExchanges} new exchanges, ${r.duplicates} already here (${r.seconds.toFixed(1)} s)`);
  if (embedded.report) lines.push(`Vectors of ${embedded.report.model}: ${embedded.report.embedded} made for search by meaning.`);
  if (embedded.error) lines.push(`No vectors were made (the import itself is saved): ${embedded.error.message}${embedded.error.detail ? ` (${embedded.error.detail})` : ''} Run cogzy embed to try again.`);
  const embedding = settings === null ? null : { ...(embedded.report ?? {}), error: embedded.error?.toData() ?? null };
  if (flags.push === false || flags['no-push'] === true) return { json: { results, embedding, pushed: false }, text: [...lines, 'Saved on this computer; run cogzy sync to upload.'].join('\n') };
  const report = await runSync(home);
  return { json: { results, embedding, pushed: true, report }, text: [...lines, syncSummary(report)].join('\n') };
}

async function cmdEmbed({ flags, home = cliHome() }: CommandInput): Promise<CommandResult> {
  const settings = embedSettings(home);
  if (settings === null) throw new AppError('CLI_EMBEDDER_NOT_SET');
  const semantic = semanticContext(settings);
  if (semantic.embedder === null) throw new AppError('CLI_EMBEDDER_NOT_SET');
  const bar = process.stderr.isTTY && flags.json !== true ? (line: string) => process.stderr.write(line) : undefined;
  const device = openDevice(home);
  let report: EmbedReport;
  try {
    report = await embedMissingVectors(device, { ...semantic, embedder: semantic.embedder }, bar ? { onProgress: (d, t) => bar(embedProgress(d, t)) } : {});
  } finally {
    if (bar) process.stderr.write('\n');
    device.close();
  }
  const line = `Vectors of ${report.model}: ${report.embedded} made, for ${report.missing} exchange(s) that had none.`;
  if (report.embedded === 0 || flags['no-push'] === true) return { json: { embedding: report, pushed: false }, text: report.embedded === 0 ? line : `${line} Saved on this computer; run cogzy sync to upload.` };
  const sync = await runSync(home);
  return { json: { embedding: report, pushed: true, report: sync }, text: `${line}\n${syncSummary(sync)}` };
}

function describeEmbed(settings: EmbedSettings | null) {
  if (settings === null) return null;
  // The key itself is never shown: only whether there is one and where it comes from.
  return { url: settings.url, model: settings.model, dimensions: settings.dimensions, apiKey: settings.from.apiKey === 'none' ? 'none' : `set (${settings.from.apiKey})`, from: settings.from };
}

async function cmdConfig({ flags, home = cliHome() }: CommandInput): Promise<CommandResult> {
  const config = readConfig(home);
  const wantsChange = ['embed-url', 'embed-model', 'embed-dimensions', 'embed-key'].some((name) => flags[name] !== undefined);
  if (flags['embed-off'] === true) {
    delete config.embed;
    writeConfig(home, config);
  } else if (wantsChange) {
    const url = str(flags['embed-url']) ?? config.embed?.url;
    const model = str(flags['embed-model']) ?? config.embed?.model;
    if (url === undefined || model === undefined) throw usage('the embedding service needs both --embed-url URL and --embed-model NAME');
    if (!z.url().safeParse(url).success || !/^https?:\/\//.test(url)) throw usage('--embed-url must be a URL starting with https:// (or http:// for a local service)');
    const dimensions = flags['embed-dimensions'] === undefined ? config.embed?.dimensions : intFlag(flags['embed-dimensions'], 'embed-dimensions', 1, 8192);
    const apiKey = flags['embed-key'] === true ? (await secret('Embedding API key: ', 'COGZY_EMBED_KEY', flags.stdin === true)).trim() : config.embed?.apiKey;
    if (apiKey === '') throw usage('--embed-key was given but no key came (type it, pipe it with --stdin, or set COGZY_EMBED_KEY)');
    config.embed = { url, model, ...(dimensions !== undefined ? { dimensions } : {}), ...(apiKey !== undefined ? { apiKey } : {}) };
    writeConfig(home, config);
  }
  const embed = describeEmbed(embedSettings(home));
  const text = embed
    ? `Search by meaning: ${embed.model} at ${embed.url}${embed.dimensions ? `, ${embed.dimensions} dimensions` : ''}; API key ${embed.apiKey}. Settings file: ${home.configFile} (readable only by you).`
    : 'No embedding service is set: search by meaning answers by keywords. Set one with cogzy config --embed-url URL --embed-model NAME [--embed-key].';
  return { json: { configFile: home.configFile, embed }, text };
}

async function cmdSearch({ positionals, flags, home = cliHome() }: CommandInput): Promise<CommandResult> {
  const query = positionals.join(' ').trim();
  if (query === '') throw usage('cogzy search needs the words to look for, e.g. cogzy search "sourdough starter"');
  const device = openDevice(home);
  try {
    const from = dateFlag(flags.from, 'from');
    const to = dateFlag(flags.to, 'to', true);
    const mode = modeFlag(flags.mode);
    const answer = await searchAnyMode(
      device.vault.reader,
      device.account.server,
      query,
      { limit: intFlag(flags.limit, 'limit', 10, 200), providers: providersFlag(flags.provider), ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), mode },
      semanticContext(mode === 'keyword' ? null : embedSettings(home)),
    );
    return { json: { ...answer }, text: searchText(query, answer) };
  } finally {
    device.close();
  }
}

function searchText(query: string, answer: ModeAnswer): string {
  const lines: string[] = [];
  if (answer.note) lines.push(answer.note);
  if (answer.hits.length === 0) lines.push(`Nothing on this computer matches "${query}".`);
  answer.hits.forEach((h, i) => lines.push(`${i + 1}. ${h.conversationTitle || 'Untitled'} (${h.provider}, ${h.date?.slice(0, 10) ?? 'undated'})  ${h.nodeId.slice(0, 16)}`, `   ${h.snippet.replace(/\s+/g, ' ')}`));
  const v = answer.vectors;
  if (v && v.count < v.exchanges) lines.push(`(${v.count} of ${v.exchanges} exchanges have vectors of ${v.model.replace(/^remote:/, '')}; cogzy embed makes the rest.)`);
  return lines.join('\n');
}

function cmdShow(input: CommandInput): Promise<CommandResult> {
  return Promise.resolve(showOf(input));
}

function showOf({ positionals, flags, home = cliHome() }: CommandInput): CommandResult {
  const id = positionals[0];
  if (id === undefined) throw usage('cogzy show needs a conversation id or an exchange id (from cogzy search)');
  const device = openDevice(home);
  try {
    const start = flags.start === undefined ? undefined : intFlag(flags.start, 'start', 1, 1_000_000) - 1;
    const end = flags.end === undefined ? undefined : intFlag(flags.end, 'end', 1, 1_000_000);
    const out = readConversation(device.vault.reader, device.account.server, id, { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) });
    return { json: { ...out }, text: conversationText(out) };
  } finally {
    device.close();
  }
}

function fileName(title: string): string {
  const cleaned = title.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 80).replace(/[.\s]+$/, '');
  return cleaned || 'Untitled';
}

async function cmdExport({ positionals, flags, home = cliHome() }: CommandInput): Promise<CommandResult> {
  const format = str(flags.format) ?? 'md';
  if (format !== 'md' && format !== 'json') throw usage('--format is md or json');
  const dir = positionals[0];
  if (dir === undefined) throw usage('cogzy export needs a folder to write into');
  mkdirSync(dir, { recursive: true });
  const device = openDevice(home);
  const reader = device.vault.reader;
  let conversations = 0;
  try {
    const total = reader.count('conversation');
    const page = 200;
    if (format === 'json') {
      const path = join(dir, `cogzy-vault-${new Date().toISOString().slice(0, 10)}.json`);
      const out = createWriteStream(path);
      const write = async (text: string) => {
        if (!out.write(text)) await once(out, 'drain');
      };
      await write(`{"format":"${VAULT_BACKUP_FORMAT}","version":${VAULT_BACKUP_VERSION},"exportedAt":${JSON.stringify(new Date().toISOString())},"conversations":[`);
      for (let offset = 0; offset < total; offset += page) {
        for (const record of reader.list('conversation', page, offset, true)) {
          if (record.type !== 'conversation') continue;
          await write(`${conversations === 0 ? '' : ','}${JSON.stringify({ ...record.value, nodes: reader.nodesOf(record.value.id) })}`);
          conversations += 1;
        }
      }
      await write('],"imports":[]}');
      out.end();
      await once(out, 'finish');
      return { json: { format, files: [path], conversations }, text: `Wrote ${conversations} conversations to ${path} (import it back in the app or with cogzy import).` };
    }
    const used = new Set<string>();
    for (let offset = 0; offset < total; offset += page) {
      for (const record of reader.list('conversation', page, offset)) {
        if (record.type !== 'conversation') continue;
        const c = record.value;
        const nodes = (await reader.nodes.bulkGet(reader.nodesOf(c.id).map((n) => n.id))).filter((n): n is NodeRow => n !== undefined);
        const branchMap = new Map<string, NodeRow[]>();
        for (const n of nodes.filter((x) => !x.active)) branchMap.set(n.branchId ?? '', [...(branchMap.get(n.branchId ?? '') ?? []), n]);
        const markdown = conversationMarkdown({
          conversation: toConversationRow(c).row,
          thread: nodes.filter((n) => n.active),
          branches: [...branchMap].map(([branchId, list]) => ({ branchId, forkOrdinal: list[0]?.ordinal ?? 0, nodes: list })),
        });
        const date = c.createdAt ?? c.updatedAt;
        let name = join(c.provider, `${date ? new Date(date).toISOString().slice(0, 10) : 'undated'} ${fileName(c.title)}`);
        for (let n = 2; used.has(name); n++) name = `${name.replace(/ \d+$/, '')} ${n}`;
        used.add(name);
        mkdirSync(join(dir, c.provider), { recursive: true });
        writeFileSync(join(dir, `${name}.md`), markdown);
        conversations += 1;
      }
    }
    return { json: { format, dir, conversations }, text: `Wrote ${conversations} conversations as Markdown under ${dir}.` };
  } finally {
    device.close();
  }
}

export const COMMANDS: Record<string, (input: CommandInput) => Promise<CommandResult>> = {
  login: cmdLogin,
  logout: cmdLogout,
  unlock: cmdUnlock,
  sync: cmdSync,
  // The engine always pulls before it pushes (a commit needs the latest base), so both run one full sync.
  pull: cmdSync,
  push: cmdSync,
  status: cmdStatus,
  reset: cmdReset,
  import: cmdImport,
  search: cmdSearch,
  embed: cmdEmbed,
  config: cmdConfig,
  show: cmdShow,
  export: cmdExport,
};
