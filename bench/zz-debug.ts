import 'fake-indexeddb/auto';
import { importExport } from '../shared/import';
import { openVaultDatabase } from '../web/src/db/database';
import { runImportPipeline } from '../web/src/import/pipeline';
import { SearchService } from '../web/src/search/search';
import { qualityCorpus } from '../tests/support/quality-corpus';
const corpus = qualityCorpus();
const db = await openVaultDatabase({ name: 'dbg2' });
const bytes = new TextEncoder().encode(corpus.json);
await runImportPipeline(db, [{ name: 'x.json', size: bytes.length, stream: () => new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } }) }], { importer: importExport });
const search = new SearchService(db);
for (const q of process.argv.slice(2)) {
  const r = await search.search(q, { limit: 8 });
  console.log('##', q);
  for (const x of r.results) { const n = await db.nodes.get(x.nodeId); console.log(x.score.toFixed(2), '|', n!.human.text, '|', n!.assistant!.text.slice(0, 90), (n!.assistant!.text.length)); }
}
