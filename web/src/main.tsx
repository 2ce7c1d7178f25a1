import { render } from 'solid-js/web';
import App from './ui/App';
import { registerServiceWorker } from './pwa/register';
import { startSemantic } from './ui/settings-embeddings/semantic';
import './ui/styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
render(() => {
  // Registered once, here: as a JSX prop expression it would be re-run on every read of `props.sw`.
  const sw = registerServiceWorker();
  return <App sw={sw} />;
}, root);
// Semantic search and topics start in the background; keyword search never waits for them. A vault that cannot
// open is explained by the views, so the failure is not reported twice.
startSemantic().catch(() => undefined);
