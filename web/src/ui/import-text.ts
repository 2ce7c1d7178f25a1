/** Import report vocabulary (shared/import/provider.ts) as sentences a person understands. */
import type { SkipReason, WarningKind } from '../../../shared/import/provider';
import type { ImportRow } from '../db/database';
import { plural } from './format';

const were = (n: number): string => (n === 1 ? 'was' : 'were');
const are = (n: number): string => (n === 1 ? 'is' : 'are');

const SKIPS: Record<SkipReason, (n: number) => string> = {
  'malformed-record': (n) => `${plural(n, 'record')} could not be read and ${were(n)} left out`,
  'missing-id': (n) => `${plural(n, 'conversation')} had no id and ${were(n)} left out`,
  'no-messages': (n) => `${plural(n, 'conversation')} had no messages`,
  'empty-conversation': (n) => `${plural(n, 'conversation')} ${were(n)} empty`,
  'unsupported-record': (n) => `${plural(n, 'entry', 'entries')} ${are(n)} not chat history (kept out on purpose)`,
  'duplicate-conversation': (n) => `${plural(n, 'conversation')} appeared twice in the export and ${were(n)} read once`,
  'bad-timestamp': (n) => `${plural(n, 'record')} had an unreadable date and ${were(n)} left out`,
  'record-too-large': (n) => `${plural(n, 'conversation')} ${were(n)} too large to read at once and ${were(n)} left out`,
};

const WARNINGS: Record<WarningKind, (n: number) => string> = {
  'unknown-content-type': (n) => `${plural(n, 'message part')} of a kind we do not know yet ${were(n)} kept as raw data`,
  'unknown-block-type': (n) => `${plural(n, 'content block')} of a kind we do not know yet ${were(n)} kept as raw data`,
  'unknown-role': (n) => `${plural(n, 'message')} from an unknown sender ${were(n)} kept`,
  'cycle-in-tree': (n) => `${plural(n, 'conversation')} had a loop in their message tree; the readable part was kept`,
  'dangling-parent': (n) => `${plural(n, 'message')} pointed to a missing earlier message`,
  'missing-timestamp': (n) => `${plural(n, 'message')} had no time`,
  'bad-timestamp': (n) => `${plural(n, 'time')} could not be read`,
  'empty-message': (n) => `${plural(n, 'message')} ${were(n)} empty`,
  'orphan-reply': (n) => `${plural(n, 'reply', 'replies')} had no question before them`,
  'html-best-effort': (n) => `${plural(n, 'page')} of HTML ${were(n)} read as well as possible (dates may be approximate)`,
  'unreadable-part': (n) => `${plural(n, 'part')} could not be read and ${were(n)} left out`,
  'ignored-entry': (n) => `${plural(n, 'file')} in the zip ${are(n)} not chat history and ${were(n)} ignored`,
};

function sentence(map: Record<string, (n: number) => string>, key: string, n: number): string {
  const make = map[key];
  return make ? make(n) : `${plural(n, 'item')}: ${key}`;
}

export function skipSentences(row: ImportRow): string[] {
  return Object.entries(row.skippedByReason)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => sentence(SKIPS, k, n));
}

export function warningSentences(row: ImportRow): string[] {
  return Object.entries(row.warnings)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => sentence(WARNINGS, k, n));
}

/** The one-line outcome of an import, e.g. "Nothing new: all 340 exchanges were already in your vault." */
export function outcomeSentence(row: ImportRow): string {
  const c = row.counts;
  switch (row.status) {
    case 'pending':
      return 'Waiting to start.';
    case 'processing':
      return 'Importing…';
    case 'interrupted':
      return 'Interrupted when the app was closed. Pick the same file again to resume; conversations already saved are complete.';
    case 'cancelled':
      return c.created > 0
        ? `Cancelled after adding ${plural(c.created, 'exchange')}; every saved conversation is complete.`
        : 'Cancelled before anything was added.';
    case 'failed':
      return row.error?.message ?? 'The import failed.';
    case 'complete':
      if (c.created === 0 && c.deduplicated > 0) return c.deduplicated === 1 ? 'Nothing new: the one exchange was already in your vault.' : `Nothing new: all ${plural(c.deduplicated, 'exchange')} were already in your vault.`;
      if (c.created === 0) return 'Nothing was imported: the file held no conversations we could read.';
      return `Added ${plural(c.created, 'exchange')} in ${plural(c.conversationsCreated, 'new conversation')}${
        c.conversationsUpdated > 0 ? ` and ${plural(c.conversationsUpdated, 'updated conversation')}` : ''
      }${c.deduplicated > 0 ? `; ${plural(c.deduplicated, 'exchange')} ${were(c.deduplicated)} already there` : ''}.`;
  }
}
