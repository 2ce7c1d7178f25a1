/**
 * Import report vocabulary (shared/import/provider.ts) as sentences a person understands. The outcome line and the
 * notes of an import both use these, so they never describe the same records differently.
 */
import type { SkipReason, WarningKind } from '../../../shared/import/provider';
import type { ImportRow } from '../db/database';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

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
