/**
 * Navigation keeps its context: leaving a view remembers where it was scrolled and which link or field had focus;
 * coming back to the same address (Back, Esc from the reader) restores both once the view has rendered its content.
 * Arriving anywhere else moves focus to the view's main heading, so a keyboard or screen-reader user lands on the
 * new page instead of staying on the link they pressed.
 *
 *   startNavigationMemory(): void   // once, from the app shell
 */
interface Remembered {
  readonly scrollY: number;
  readonly focusId: string | null;
  readonly focusHref: string | null;
}

const memory = new Map<string, Remembered>();
/** How long to wait for a view's content (live queries) before giving up on restoring. */
const RESTORE_WITHIN_MS = 3000;
let generation = 0;

function hashOf(url: string): string {
  const at = url.indexOf('#');
  return at === -1 ? '#/' : url.slice(at);
}

/**
 * Where the person is, kept up to date as they scroll and move focus: by the time `hashchange` is delivered the router
 * may already have replaced the view (and the old scroll position and focused link are gone).
 */
let scrollY = 0;
let focusId: string | null = null;
let focusHref: string | null = null;

function track(): void {
  window.addEventListener('scroll', () => (scrollY = window.scrollY), { passive: true });
  document.addEventListener('focusin', (e) => {
    const el = e.target;
    const inMain = el instanceof HTMLElement && el.closest('main') !== null;
    focusId = inMain && el.id ? el.id : null;
    focusHref = inMain && el instanceof HTMLAnchorElement ? el.getAttribute('href') : null;
  });
}

function remember(hash: string): void {
  memory.set(hash, { scrollY, focusId, focusHref });
}

function findFocus(saved: Remembered): HTMLElement | null {
  const main = document.getElementById('main');
  if (!main) return null;
  if (saved.focusId) return document.getElementById(saved.focusId);
  if (saved.focusHref) return [...main.querySelectorAll('a')].find((a) => a.getAttribute('href') === saved.focusHref) ?? null;
  return null;
}

/** Focus was left where the person pressed (the nav, the header) or nowhere: the new view's heading takes it. */
function focusLeftBehind(): boolean {
  const active = document.activeElement;
  return active === null || active === document.body || (active instanceof HTMLElement && active.closest('main') === null);
}

function arrive(hash: string): void {
  const run = ++generation;
  const saved = memory.get(hash);
  const started = performance.now();
  const step = (): void => {
    if (run !== generation) return;
    const timedOut = performance.now() - started > RESTORE_WITHIN_MS;
    if (saved) {
      const target = findFocus(saved);
      const tallEnough = document.documentElement.scrollHeight - window.innerHeight >= saved.scrollY - 1;
      if ((target || !saved.focusId && !saved.focusHref) && tallEnough) {
        window.scrollTo(0, saved.scrollY);
        target?.focus({ preventScroll: true });
        return;
      }
    } else {
      const heading = document.querySelector<HTMLElement>('main h1');
      if (heading) {
        if (focusLeftBehind()) {
          heading.tabIndex = -1;
          heading.focus({ preventScroll: true });
        }
        return;
      }
    }
    if (!timedOut) requestAnimationFrame(step);
  };
  if (!saved) window.scrollTo(0, 0);
  requestAnimationFrame(step);
}

export function startNavigationMemory(): void {
  // The app restores scroll itself: the browser's own restoration runs before the view has its content.
  history.scrollRestoration = 'manual';
  track();
  window.addEventListener('hashchange', (e) => {
    remember(hashOf(e.oldURL));
    focusId = null;
    focusHref = null;
    arrive(hashOf(e.newURL));
  });
}
