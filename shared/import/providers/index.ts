/** The adapter registry: every provider the importer detects and parses. Add new adapters to this array. */
import type { ProviderAdapter } from '../provider';
import { chatgptAdapter } from './chatgpt';
import { claudeAdapter } from './claude';
import { copilotAdapter } from './copilot';
import { deepseekAdapter } from './deepseek';
import { geminiAdapter } from './gemini';
import { geminiHtmlAdapter } from './gemini-html';
import { grokAdapter } from './grok';
import { vaultBackupAdapter } from './vault-backup';

export const PROVIDER_ADAPTERS: readonly ProviderAdapter[] = [chatgptAdapter, claudeAdapter, geminiAdapter, geminiHtmlAdapter, grokAdapter, copilotAdapter, deepseekAdapter, vaultBackupAdapter];
