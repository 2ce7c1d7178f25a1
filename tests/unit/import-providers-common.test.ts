import { describe, expect, it } from 'vitest';
import { emptyExtras } from '../../shared/model';
import type { ParseContext } from '../../shared/import/provider';
import { parseTime } from '../../shared/import/providers/common/time';
import { fingerprint } from '../../shared/import/providers/common/stable-id';
import { longestChainLeaf, messageStep, newestLeaf, resolveThreads, threadNodes } from '../../shared/import/providers/common/thread';
import type { MessageDraft, TreeItem } from '../../shared/import/providers/common/thread';

function recorder(): { ctx: ParseContext; warnings: string[] } {
  const warnings: string[] = [];
  return { ctx: { source: 't', skip: (reason) => warnings.push(`skip:${reason}`), warn: (kind) => warnings.push(kind) }, warnings };
}

const message = (id: string, parentId: string | null, role: 'human' | 'assistant', createdAt: number | null = null): MessageDraft & TreeItem => ({
  id,
  parentId,
  role,
  text: `text of ${id}`,
  createdAt,
  model: null,
  extras: emptyExtras(),
  attachments: [],
});

describe('timestamps as exports write them', () => {
  it('reads ISO with microseconds, offsets, epoch seconds/ms and Mongo extended JSON', () => {
    expect(parseTime('2026-02-01T09:00:00.123456Z')).toBe(Date.UTC(2026, 1, 1, 9, 0, 0, 123));
    expect(parseTime('2025-04-29T11:59:13.202000+08:00')).toBe(Date.UTC(2025, 3, 29, 3, 59, 13, 202));
    expect(parseTime('2026-01-01T10:00:00')).toBe(Date.UTC(2026, 0, 1, 10));
    expect(parseTime(1735689600)).toBe(1735689600000);
    expect(parseTime(1735689600000)).toBe(1735689600000);
    expect(parseTime({ $date: { $numberLong: '1735689600000' } })).toBe(1735689600000);
    expect(parseTime({ $date: '2026-01-01T00:00:00Z' })).toBe(Date.UTC(2026, 0, 1));
    expect(parseTime(undefined)).toBeNull();
    expect(parseTime('not a time')).toBe('invalid');
    expect(parseTime('2026-13-45T99:00:00Z')).toBe('invalid');
  });
});

describe('message trees', () => {
  it('keeps the newest leaf active and emits other branches from their fork, once each', () => {
    const { ctx, warnings } = recorder();
    const items = [message('u1', null, 'human', 1), message('a1', 'u1', 'assistant', 2), message('a1b', 'u1', 'assistant', 3), message('u2', 'a1b', 'human', 4), message('a2', 'u2', 'assistant', 5), message('u2x', 'a1b', 'human', 6)];
    const nodes = threadNodes('claude', 'c', resolveThreads(items, newestLeaf, ctx, messageStep), ctx);
    expect(nodes.map((node) => [node.active, node.ordinal, node.branchId, node.human.text, node.assistant?.text ?? null])).toEqual([
      [true, 0, null, 'text of u1', 'text of a1b'],
      [true, 1, null, 'text of u2x', null],
      [false, 0, 'a1', 'text of u1', 'text of a1'],
      [false, 1, 'a2', 'text of u2', 'text of a2'],
    ]);
    expect(warnings).toEqual([]);
  });

  it('picks the longest chain when asked to', () => {
    const { ctx } = recorder();
    const items = [message('u1', null, 'human', 1), message('a1', 'u1', 'assistant', 9), message('a1b', 'u1', 'assistant', 2), message('u2', 'a1b', 'human', 3)];
    expect(resolveThreads(items, longestChainLeaf, ctx, messageStep).active.map((item) => item.id)).toEqual(['u1', 'a1b', 'u2']);
  });

  it('survives dangling parents and cycles with a warning instead of losing the file', () => {
    const { ctx, warnings } = recorder();
    const dangling = resolveThreads([message('u1', 'gone', 'human'), message('a1', 'u1', 'assistant')], newestLeaf, ctx, messageStep);
    expect(dangling.active.map((item) => item.id)).toEqual(['u1', 'a1']);
    const cyclic = resolveThreads([message('x', 'y', 'human'), message('y', 'x', 'assistant')], newestLeaf, ctx, messageStep);
    expect(cyclic.active.map((item) => item.id)).toEqual(['x', 'y']);
    expect(warnings).toEqual(['dangling-parent', 'cycle-in-tree']);
  });

  it('merges consecutive replies (tool steps) into one assistant turn and flags orphan replies', () => {
    const { ctx, warnings } = recorder();
    const items = [message('a0', null, 'assistant'), message('u1', 'a0', 'human'), message('a1', 'u1', 'assistant'), message('a2', 'a1', 'assistant')];
    const nodes = threadNodes('grok', 'c', resolveThreads(items, newestLeaf, ctx, messageStep), ctx);
    expect(nodes.map((node) => [node.human.text, node.assistant?.messageIds])).toEqual([
      ['', ['a0']],
      ['text of u1', ['a1', 'a2']],
    ]);
    expect(warnings).toEqual(['orphan-reply']);
  });

  it('gives each branch only the exchange holding its fork, its ordinal counted from the root (after an orphan reply)', () => {
    const { ctx } = recorder();
    // a0 (orphan) · u1 → a1 → u2 → a2 → a3 (active), with a3b a regenerated a3 after the tool step a2, and an
    // empty message e1 under a1 whose child u2b is an edited second prompt.
    const items = [
      message('a0', null, 'assistant', 1),
      message('u1', 'a0', 'human', 2),
      message('a1', 'u1', 'assistant', 3),
      message('u2', 'a1', 'human', 4),
      message('a2', 'u2', 'assistant', 5),
      message('a3', 'a2', 'assistant', 9),
      message('a3b', 'a2', 'assistant', 7),
      { ...message('e1', 'a1', 'assistant', 6), text: '' },
      message('u2b', 'e1', 'human', 8),
    ];
    const threads = resolveThreads(items, newestLeaf, ctx, messageStep);
    expect(threads.active.map((item) => item.id)).toEqual(['a0', 'u1', 'a1', 'u2', 'a2', 'a3']);
    expect(threads.branches.map((branch) => [branch.leafId, branch.path.map((item) => item.id), branch.offset, branch.fresh])).toEqual([
      ['a3b', ['u2', 'a2', 'a3b'], 2, 2],
      ['u2b', ['e1', 'u2b'], 2, 0],
    ]);
    const nodes = threadNodes('claude', 'c', threads, ctx).filter((node) => !node.active);
    expect(nodes.map((node) => [node.branchId, node.ordinal, node.human.text, node.assistant?.messageIds ?? null])).toEqual([
      ['a3b', 2, 'text of u2', ['a2', 'a3b']],
      ['u2b', 2, 'text of u2b', null],
    ]);
  });
});

describe('synthesised ids', () => {
  it('are stable and differ for different input', () => {
    expect(fingerprint('hello')).toBe(fingerprint('hello'));
    expect(fingerprint('hello')).not.toBe(fingerprint('hellp'));
    expect(fingerprint('')).toMatch(/^[0-9a-f]{16}$/);
  });
});
