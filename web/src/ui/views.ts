/**
 * The app's views and settings panels as data: the navigation, the router and the Settings page are all built from
 * these lists. A later feature adds a view (e.g. Topics) or a settings panel (e.g. Embeddings) by appending one
 * entry here; nothing else in the shell changes.
 */
import type { Component } from 'solid-js';
import { lazyView } from './lazy-view';
import type { Route } from './router';

/** The search box's element id: `/` focuses it from anywhere. */
export const SEARCH_INPUT_ID = 'search-input';

export interface ViewProps {
  readonly route: Route;
}

export interface ViewEntry {
  /** First path segment this view answers to (`#/<path>…`), or the first two (`settings/sync`). */
  readonly path: string;
  /** Page title and navigation label. */
  readonly label: string;
  /** In the main navigation when set (left to right / top to bottom). */
  readonly nav?: { readonly order: number; readonly icon: string; /** Label under the icon on a phone. */ readonly short?: string };
  readonly component: Component<ViewProps>;
}

export interface SettingsPanelEntry {
  readonly id: string;
  readonly title: string;
  readonly order: number;
  readonly component: Component;
}

const VIEWS: readonly ViewEntry[] = [
  { path: 'search', label: 'Search', nav: { order: 10, icon: '⌕' }, component: lazyView(() => import('./views/SearchView')) },
  {
    path: 'conversations',
    label: 'Conversations',
    nav: { order: 20, icon: '☰', short: 'Chats' },
    component: lazyView(() => import('./views/ConversationsView')),
  },
  { path: 'timeline', label: 'Timeline', nav: { order: 30, icon: '▥' }, component: lazyView(() => import('./views/TimelineView')) },
  { path: 'import', label: 'Import', nav: { order: 40, icon: '⇪' }, component: lazyView(() => import('./views/ImportView')) },
  { path: 'settings', label: 'Settings', nav: { order: 90, icon: '⚙' }, component: lazyView(() => import('./views/SettingsView')) },
  { path: 'account', label: 'Account', nav: { order: 95, icon: '◉' }, component: lazyView(() => import('./views/AccountView')) },
  { path: 'c', label: 'Conversation', component: lazyView(() => import('./views/ReaderView')) },
  { path: 'topics', label: 'Topics', nav: { order: 25, icon: '◍' }, component: lazyView(() => import('./topics/TopicsView')) },
  { path: 'similar', label: 'More like this', component: lazyView(() => import('./topics/SimilarView')) },
  { path: 'ask', label: 'Ask', nav: { order: 15, icon: '✦' }, component: lazyView(() => import('./views/AskView')) },
  { path: 'settings/sync', label: 'Sync', component: lazyView(() => import('./views/SyncView')) },
  { path: 'conflicts', label: 'Note conflicts', component: lazyView(() => import('./views/ConflictsView')) },
];

export const SETTINGS_PANELS: readonly SettingsPanelEntry[] = [
  { id: 'appearance', title: 'Appearance', order: 10, component: lazyView(() => import('./views/settings/AppearancePanel')) },
  { id: 'storage', title: 'Storage', order: 20, component: lazyView(() => import('./views/settings/StoragePanel')) },
  { id: 'data', title: 'Your data', order: 30, component: lazyView(() => import('./views/settings/DataPanel')) },
  { id: 'embeddings', title: 'Semantic search', order: 15, component: lazyView(() => import('./settings-embeddings/EmbeddingsPanel')) },
  { id: 'ask', title: 'Ask your vault', order: 12, component: lazyView(() => import('./views/settings/AskPanel')) },
  { id: 'sync', title: 'Sync', order: 25, component: lazyView(() => import('./views/settings/SyncPanel')) },
  { id: 'conflicts', title: 'Note conflicts', order: 40, component: lazyView(() => import('./views/settings/ConflictsPanel')) },
];

export function navEntries(): ViewEntry[] {
  return VIEWS.filter((v) => v.nav).sort((a, b) => (a.nav?.order ?? 0) - (b.nav?.order ?? 0));
}

/** A two-segment path (`settings/sync`) is a view of its own; otherwise the first segment decides. */
export function viewFor(route: Route): ViewEntry | undefined {
  const nested = route.segments.slice(0, 2).join('/');
  return VIEWS.find((v) => v.path === nested) ?? VIEWS.find((v) => v.path === route.segments[0]);
}
