import { createSignal } from 'solid-js';

const [online, setOnline] = createSignal(navigator.onLine);
window.addEventListener('online', () => setOnline(true));
window.addEventListener('offline', () => setOnline(false));

/** Whether the browser believes it has a network (everything local keeps working either way). */
export { online };
