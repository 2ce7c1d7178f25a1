/** The adapter registry: every provider the importer detects and parses. Add new adapters to this array. */
import type { ProviderAdapter } from '../provider';
import { chatgptAdapter } from './chatgpt';

export const PROVIDER_ADAPTERS: readonly ProviderAdapter[] = [chatgptAdapter];
