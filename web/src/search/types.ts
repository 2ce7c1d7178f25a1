/**
 * The search layer's shared vocabulary: filters, ranked hits and the ResultSource slot that keyword search and
 * any vector search implement, so the fusion code knows neither.
 *
 *   interface ResultSource { readonly id: string; search(query, filters, limit): Promise<RankedHit[]>; answer?(...): Promise<SourceAnswer> }
 */
import type { AppError } from '../../../shared/errors';
import type { Provider } from '../../../shared/model';
import type { NodeRow } from '../db/database';

export interface SearchFilters {
  /** Only these providers (empty or absent: all). */
  providers?: readonly Provider[];
  /** Epoch ms, inclusive; nodes without a time never match a date range. */
  from?: number | null;
  to?: number | null;
  conversationId?: string | null;
  /** Match only the person's words (human) or only the replies (assistant). */
  role?: 'human' | 'assistant' | null;
  /** Also search hidden parts: thinking, tool calls, system prompts, custom instructions, citations, attachments. */
  includeHidden?: boolean;
  /** Also search exchanges on abandoned branches (edits, regenerations). */
  includeBranches?: boolean;
}

export interface RankedHit {
  /** Memory node id (content hash). */
  nodeId: string;
  /** Source-specific score, higher is better (only the order matters to fusion). */
  score: number;
  /** The node when the source already loaded it (saves a read). */
  node?: NodeRow;
  /** Its conversation's title when the source already loaded it (saves a read). */
  conversationTitle?: string;
}

export interface ResultSource {
  /** Stable name, e.g. 'keyword' or 'vector:<model id>'. */
  readonly id: string;
  /** Best first. Sources should honour the filters; results are filtered again after fusion regardless. */
  search(query: string, filters: SearchFilters, limit: number): Promise<RankedHit[]>;
  /** Like search, but may answer with a stand-in (another model's vectors) when it cannot itself, and says so. */
  answer?(query: string, filters: SearchFilters, limit: number): Promise<SourceAnswer>;
}

export interface SourceAnswer {
  hits: RankedHit[];
  /** Set when another model answered: which one, and why the source's own could not. */
  instead: { modelId: string; reason: AppError } | null;
}

export type SearchMode = 'keyword' | 'semantic' | 'hybrid';
