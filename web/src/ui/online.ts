/**
 * The page's connectivity (see net/connectivity.ts) as a Solid signal. Everything local keeps working in every state;
 * the header says which one we are in, and features that need the network (sync, remote embeddings, cloud chat)
 * read it to explain themselves instead of waiting for a timeout.
 */
import { createSignal } from 'solid-js';
import { Connectivity, type Reachability, type RequestOutcome, type RequestTarget } from '../net/connectivity';

const connectivity = new Connectivity({
  fetch: (input, init) => fetch(input, init),
  browserOnline: () => navigator.onLine,
  events: window,
  visibility: document,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});
const [reachability, setReachability] = createSignal<Reachability>(connectivity.state);
connectivity.subscribe(setReachability);
connectivity.start();

/** 'online', 'offline' or 'server-unreachable' (reactive). */
export { reachability };

/** Tells connectivity what one of the app's requests saw (a failed request makes it check at once). */
export function reportRequest(outcome: RequestOutcome, target: RequestTarget): void {
  connectivity.report(outcome, target);
}

/** Checks now (e.g. before a feature that needs the network says it cannot run). */
export function checkConnectivity(): Promise<Reachability> {
  return connectivity.probe();
}
