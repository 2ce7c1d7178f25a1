// Ask-memory chats are conversations like any other: saved through the one node-write path (searchable, a
// regenerated answer leaves search), queued for sync in the same transaction, and never written into a chat the
// person deleted.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { deleteItem } from '../../shared/sync/vault-ops';
import { saveChatExchange, type ChatExchangeInput } from '../../web/src/db/chat-writes';
import { SearchService } from '../../web/src/search/search';
import { localContext } from '../../web/src/sync/local-changes';
import { useFreshDatabases } from './fresh-db';

const freshDb = useFreshDatabases('chat-writes');

const exchange = (over: Partial<ChatExchangeInput>): ChatExchangeInput => ({
  chatId: 'chat-1',
  title: 'Bicycle chain',
  ordinal: 0,
  question: 'Why does my bicycle chain squeak?',
  answer: 'It is dry: clean it and add a drop of lubricant on each link.',
  model: 'cloud',
  askedAt: 1_780_000_000_000,
  now: 1_780_000_005_000,
  replacesNodeId: null,
  ...over,
});

describe('saveChatExchange', () => {
  it('is searchable, queued for sync with its conversation, and a regenerated answer replaces the old one in search', async () => {
    const db = await freshDb();
    const search = new SearchService(db);
    const first = await saveChatExchange(db, exchange({}));
    expect((await search.search('lubricant', { mode: 'keyword' })).results.map((r) => r.nodeId)).toEqual([first.id]);
    expect((await db.syncPending.toCollection().primaryKeys()).sort()).toEqual([`conversation:${first.conversationId}`, `node:${first.id}`].sort());

    const second = await saveChatExchange(db, exchange({ answer: 'Probably rust: replace the chain if it is stiff.', replacesNodeId: first.id, now: 1_780_000_009_000 }));
    expect((await search.search('lubricant', { mode: 'keyword' })).results).toEqual([]);
    expect((await search.search('rust chain', { mode: 'keyword' })).results.map((r) => r.nodeId)).toEqual([second.id]);
    expect((await db.nodes.get(first.id))?.active).toBe(false);
    expect((await db.conversations.get(first.conversationId))?.nodeCount).toBe(1);
    expect(await db.syncPending.get(`node:${first.id}`)).toBeDefined();
  });

  it('does not write into a chat that was deleted', async () => {
    const db = await freshDb();
    const first = await saveChatExchange(db, exchange({}));
    await deleteItem(await localContext(db), `conversation:${first.conversationId}`);
    await expect(saveChatExchange(db, exchange({ ordinal: 1, question: 'And the gears?', answer: 'Same oil.' }))).rejects.toMatchObject({ code: 'CHAT_DELETED' });
    expect(await db.nodes.count()).toBe(0);
  });
});
