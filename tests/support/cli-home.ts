/**
 * Helpers for driving the `cogzy` command as a person would: a fresh COGZY_HOME, the command run as a child process
 * (through its package.json bin launcher), and a local copy seeded through the CLI's own SQLite store.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Conversation, MemoryNode } from '../../shared/model';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const cogzyBin = join(repoRoot, 'shared', 'cli', 'cogzy.mjs');

export interface TempHome {
  dir: string;
  env: NodeJS.ProcessEnv;
  remove(): void;
}

export function tempHome(prefix = 'cogzy-home-'): TempHome {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = { ...process.env, COGZY_HOME: dir, NO_COLOR: '1' };
  for (const name of ['COGZY_VAULT_KEY', 'COGZY_PASSWORD', 'COGZY_PASSPHRASE', 'COGZY_RECOVERY_CODE', 'COGZY_EMAIL', 'COGZY_SERVER']) delete env[name];
  return { dir, env, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json: Record<string, unknown>;
}

export function runCogzy(args: readonly string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cogzyBin, ...args], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        // Not a --json run, or it printed text.
      }
      done({ code, stdout, stderr, json });
    });
    child.stdin.end(stdin ?? '');
  });
}

export function conversationFixture(marker: string, index: number, texts: [string, string][]): { conversation: Conversation; nodes: MemoryNode[] } {
  const id = `claude:${marker}-${index}`;
  return {
    conversation: {
      schemaVersion: 1,
      id,
      provider: 'claude',
      providerConversationId: `${marker}-${index}`,
      kind: 'chat',
      title: `${marker} chat ${index}`,
      createdAt: Date.UTC(2025, 0, index + 1),
      updatedAt: Date.UTC(2025, 0, index + 1),
      model: null,
      messageCount: texts.length * 2,
      nodeCount: texts.length,
      raw: '{}',
    },
    nodes: texts.map(([human, assistant], ordinal) => ({
      schemaVersion: 1,
      id: `${index.toString(16).padStart(4, '0')}${ordinal.toString(16).padStart(4, '0')}`.padEnd(64, 'a'),
      kind: 'exchange',
      provider: 'claude',
      conversationId: id,
      ordinal,
      active: true,
      branchId: null,
      human: { text: human, messageIds: [`h${ordinal}`], createdAt: Date.UTC(2025, 0, index + 1), model: null },
      assistant: { text: assistant, messageIds: [`a${ordinal}`], createdAt: Date.UTC(2025, 0, index + 1), model: null },
      extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
      attachments: [],
      createdAt: Date.UTC(2025, 0, index + 1),
    })),
  };
}
