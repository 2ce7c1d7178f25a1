/** Memory nodes for embedding and vector tests, written into a fake-indexeddb vault as the app writes them. */
import { createHash } from 'node:crypto';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { emptyExtras } from '../../shared/model';
import { openVaultDatabase, type NodeRow, type VaultDatabase } from '../../web/src/db/database';
import { fromNodeRow, putNodes as writeNodes } from '../../web/src/db/vault-writes';

let counter = 0;

const factories = new WeakMap<VaultDatabase, IDBFactory>();

export async function openTestVault(): Promise<VaultDatabase> {
  counter += 1;
  const indexedDB = new IDBFactory();
  const db = await openVaultDatabase({ name: `vector-test-${counter}`, indexedDB, IDBKeyRange });
  factories.set(db, indexedDB);
  return db;
}

/** A second connection to the same vault, as another tab would open. */
export function openOtherTab(db: VaultDatabase): Promise<VaultDatabase> {
  return openVaultDatabase({ name: db.name, indexedDB: factories.get(db) ?? new IDBFactory(), IDBKeyRange });
}

export function makeNode(human: string, assistant: string, conversationId = 'chatgpt:c1', ordinal = 0): NodeRow {
  counter += 1;
  const id = createHash('sha256').update(`${conversationId}\n${human}\n${assistant}`).digest('hex');
  return {
    schemaVersion: 1,
    id,
    kind: 'exchange',
    provider: 'chatgpt',
    conversationId,
    ordinal,
    active: true,
    branchId: null,
    human: { text: human, messageIds: [], createdAt: 1_700_000_000_000 + ordinal, model: null },
    assistant: { text: assistant, messageIds: [], createdAt: null, model: 'gpt' },
    extras: emptyExtras(),
    attachments: [],
    createdAt: 1_700_000_000_000 + ordinal,
    docId: counter,
    isActive: 1,
  };
}

/** Stores the nodes through the app's one write path (rows and keyword index together), numbered by the vault. */
export async function putNodes(db: VaultDatabase, nodes: readonly NodeRow[]): Promise<void> {
  await writeNodes(db, nodes.map(fromNodeRow));
}
