import { render } from 'solid-js/web';
import App from './ui/App';
import { registerServiceWorker } from './pwa/register';
import './ui/styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
render(() => <App sw={registerServiceWorker()} />, root);
