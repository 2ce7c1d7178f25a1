import { toAppError } from '../../shared/errors';
import { render } from 'solid-js/web';
import App from './ui/App';
import { registerServiceWorker } from './pwa/register';
import { startLaunchHandling } from './pwa/launch';
import { importFiles } from './ui/import-runs';
import { useArgon2Worker } from './sync/argon2-client';
import './ui/styles.css';

// Argon2id (sign-in, sync setup and unlock) hashes for a second or so: in a worker, so the page stays responsive.
useArgon2Worker();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
render(() => {
  // Registered once, here: as a JSX prop expression it would be re-run on every read of `props.sw`.
  const sw = registerServiceWorker();
  return <App sw={sw} />;
}, root);
// Files opened with, or shared to, the installed app are imported (manifest file_handlers and share_target).
startLaunchHandling(importFiles);
// Semantic search and topics start once the page is idle, from their own chunk, so neither loading the embedder code
// nor loading vectors delays the first paint or the first keyword search. A vault that cannot open is explained by
// the views, so the failure is not shown twice; it is logged (code and non-secret detail) so a failed chunk load is
// not lost.
const startSemanticLater = (): void => {
  import('./ui/settings-embeddings/semantic')
    .then(({ startSemantic }) => startSemantic())
    .catch((e: unknown) => {
      const error = toAppError(e);
      console.warn(`semantic search did not start: ${error.code}`, error.detail ?? '');
    });
};
if ('requestIdleCallback' in window) requestIdleCallback(startSemanticLater, { timeout: 2000 });
else setTimeout(startSemanticLater, 500);
