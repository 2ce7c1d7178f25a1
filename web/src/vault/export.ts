/**
 * Your data, out: the whole vault as one versioned JSON document, or as Markdown (one file per conversation in a
 * zip). Both are built in pages of conversations and handed over as a Blob, so the page never holds one giant
 * string.
 *
 *   exportVaultJson(db, now?: number): Promise<Blob>          // application/json: the backup format (shared/import/providers/vault-backup.ts), restored by importing it
 *   exportVaultMarkdown(db, now?: number): Promise<Blob>      // application/zip
 *   conversationMarkdown(view: ConversationView): string
 *   exportFileName(kind: 'json' | 'markdown', now: number): string
 */
import { Zip, ZipDeflate, strToU8 } from 'fflate';
import { AppError } from '../../../shared/errors';
import { PROVIDER_LABELS, type MemoryNode } from '../../../shared/model';
import { VAULT_BACKUP_FORMAT, VAULT_BACKUP_VERSION, backupImportSchema, type BackupImport } from '../../../shared/import/providers/vault-backup';
import { fromConversationRow, withStorageErrors, type ConversationRow, type ImportRow, type NodeRow, type VaultDatabase } from '../db/database';
import type { ConversationView } from './conversations';
import { maxOf } from '../../../shared/arrays';

const PAGE = 200;

/** Conversations in pages with their nodes (all branches) and raw records. */
async function* conversationPages(db: VaultDatabase): AsyncGenerator<{ row: ConversationRow; raw: string; nodes: NodeRow[] }[]> {
  let after: string | null = null;
  for (;;) {
    const rows: ConversationRow[] = await withStorageErrors(() =>
      (after === null ? db.conversations.orderBy('id') : db.conversations.where('id').above(after)).limit(PAGE).toArray(),
    );
    if (rows.length === 0) return;
    const ids = rows.map((r) => r.id);
    const [raws, byConversation] = await withStorageErrors(() => Promise.all([db.conversationRaws.bulkGet(ids), db.nodes.ofConversations(ids)]));
    yield rows.map((row, i) => ({
      row,
      raw: raws[i]?.raw ?? '',
      nodes: (byConversation.get(row.id) ?? []).sort((x, y) => Number(y.active) - Number(x.active) || x.ordinal - y.ordinal),
    }));
    after = rows[rows.length - 1]?.id ?? null;
  }
}

/** The device-local fields (keyword-index number, index flag) are not part of the exported model. */
function toMemoryNode(node: NodeRow): MemoryNode {
  const { docId: _docId, isActive: _isActive, ...rest } = node;
  return rest;
}

/** A finished import as the backup keeps it; one still running has no outcome to restore yet. */
function toBackupImport(row: ImportRow): BackupImport | null {
  if (row.status === 'pending' || row.status === 'processing') return null;
  const { id: _id, checkpoint: _checkpoint, status, ...rest } = row;
  return backupImportSchema.parse({ ...rest, status });
}

export async function exportVaultJson(db: VaultDatabase, now: number = Date.now()): Promise<Blob> {
  // `format` comes first: the importer recognises a backup by it.
  const parts: string[] = [`{"format":"${VAULT_BACKUP_FORMAT}","version":${VAULT_BACKUP_VERSION},"exportedAt":${JSON.stringify(new Date(now).toISOString())},"conversations":[`];
  let first = true;
  for await (const page of conversationPages(db)) {
    for (const { row, raw, nodes } of page) {
      parts.push((first ? '' : ',') + JSON.stringify({ ...fromConversationRow(row, raw), nodes: nodes.map(toMemoryNode) }));
      first = false;
    }
  }
  const imports = (await withStorageErrors(() => db.imports.orderBy('id').toArray())).map(toBackupImport).filter((row) => row !== null);
  parts.push(`],"imports":${JSON.stringify(imports)}}`);
  return new Blob(parts, { type: 'application/json' });
}

function fence(text: string): string {
  // A fence longer than any backtick run inside, so the text cannot close it.
  const longest = maxOf([...text.matchAll(/`+/g)].map((m) => m[0].length), 2);
  return '`'.repeat(longest + 1);
}

function isoDate(ms: number | null): string {
  return ms === null ? 'unknown date' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

function exchangeMarkdown(node: NodeRow): string {
  const out: string[] = [`### You (${isoDate(node.human.createdAt ?? node.createdAt)})`, '', node.human.text, ''];
  for (const attachment of node.attachments) {
    out.push(`> Attachment: ${attachment.name}`, '');
    if (attachment.text) out.push(`${fence(attachment.text)}text`, attachment.text, fence(attachment.text), '');
  }
  if (node.assistant) {
    out.push(`### Assistant${node.assistant.model ? ` (${node.assistant.model})` : ''}`, '');
    for (const thought of node.extras.thinking) out.push('<details><summary>Thinking</summary>', '', thought, '', '</details>', '');
    for (const call of node.extras.toolCalls) {
      const body = `${call.input}${call.output ? `\n--- output ---\n${call.output}` : ''}`;
      out.push(`<details><summary>Tool: ${call.name}</summary>`, '', `${fence(body)}text`, body, fence(body), '', '</details>', '');
    }
    out.push(node.assistant.text, '');
  }
  return out.join('\n');
}

export function conversationMarkdown(view: ConversationView): string {
  const { conversation, thread, branches } = view;
  const out: string[] = [
    `# ${conversation.title || 'Untitled conversation'}`,
    '',
    `- Provider: ${PROVIDER_LABELS[conversation.provider]}`,
    `- Created: ${isoDate(conversation.createdAt)}`,
    `- Updated: ${isoDate(conversation.updatedAt)}`,
    ...(conversation.model ? [`- Model: ${conversation.model}`] : []),
    `- Id: ${conversation.id}`,
    '',
  ];
  for (const node of thread) out.push(exchangeMarkdown(node));
  for (const branch of branches) {
    out.push(`## Alternate branch from exchange ${branch.forkOrdinal + 1}`, '');
    for (const node of branch.nodes) out.push(exchangeMarkdown(node));
  }
  return out.join('\n');
}

function safeName(title: string): string {
  // Trailing dots and spaces go: a title ending in "." gave "..md" (and Windows drops trailing dots anyway).
  const cleaned = title.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 80).replace(/[.\s]+$/, '');
  return cleaned || 'Untitled';
}

export async function exportVaultMarkdown(db: VaultDatabase, now: number = Date.now()): Promise<Blob> {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let finished!: () => void;
  let failed!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const zip = new Zip((error, data, final) => {
    if (error) {
      failed(new AppError('INTERNAL', { detail: `zip: ${error.message}`, cause: error }));
      return;
    }
    chunks.push(data);
    if (final) finished();
  });
  const used = new Set<string>();
  const readme = new ZipDeflate('README.md', { level: 6 });
  zip.add(readme);
  readme.push(strToU8(`# Cogzy Vault export\n\nExported ${new Date(now).toISOString()}. One Markdown file per conversation, in a folder per provider.\n`), true);
  for await (const page of conversationPages(db)) {
    for (const { row, nodes } of page) {
      const thread = nodes.filter((n) => n.active);
      const branchMap = new Map<string, NodeRow[]>();
      for (const node of nodes) {
        if (node.active) continue;
        const list = branchMap.get(node.branchId ?? '') ?? [];
        list.push(node);
        branchMap.set(node.branchId ?? '', list);
      }
      const branches = [...branchMap].map(([branchId, list]) => ({ branchId, forkOrdinal: list[0]?.ordinal ?? 0, nodes: list }));
      const date = row.sortAt > 0 ? new Date(row.sortAt).toISOString().slice(0, 10) : 'undated';
      let name = `${row.provider}/${date} ${safeName(row.title)}.md`;
      if (used.has(name)) name = `${row.provider}/${date} ${safeName(row.title)} (${row.providerConversationId.slice(0, 12).replace(/[^\w-]/g, '')}).md`;
      for (let n = 2; used.has(name); n++) name = `${row.provider}/${date} ${safeName(row.title)} ${n}.md`;
      used.add(name);
      const file = new ZipDeflate(name, { level: 6 });
      zip.add(file);
      file.push(strToU8(conversationMarkdown({ conversation: row, thread, branches })), true);
    }
  }
  zip.end();
  await done;
  return new Blob(chunks, { type: 'application/zip' });
}

export function exportFileName(kind: 'json' | 'markdown', now: number): string {
  const date = new Date(now).toISOString().slice(0, 10);
  return kind === 'json' ? `cogzy-vault-${date}.json` : `cogzy-vault-${date}-markdown.zip`;
}
