/**
 * Hash routing (`#/search?q=…`, `#/c/<id>?node=<nodeId>`): works from any static host and offline from the
 * service worker's precached index.html, with no server rewrites.
 */
import { createSignal } from 'solid-js';

export interface Route {
  /** Path segments after `#/`, decoded: `#/c/chatgpt%3Aabc` → ['c', 'chatgpt:abc']. */
  readonly segments: readonly string[];
  readonly params: URLSearchParams;
}

function parseHash(hash: string): Route {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const path = q === -1 ? body : body.slice(0, q);
  const query = q === -1 ? '' : body.slice(q + 1);
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { segments, params: new URLSearchParams(query) };
}

/** Builds a hash href from path segments and query parameters (undefined/empty values are left out). */
export function href(segments: readonly string[], params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, v);
  const qs = query.toString();
  return `#/${segments.map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`;
}

const [route, setRoute] = createSignal<Route>(parseHash(location.hash));
window.addEventListener('hashchange', () => setRoute(parseHash(location.hash)));

export { route };

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) {
    history.replaceState(history.state, '', to);
    setRoute(parseHash(location.hash));
  } else {
    location.hash = to;
  }
}
