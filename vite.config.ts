import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';
import { VitePWA } from 'vite-plugin-pwa';

// The Worker under `wrangler dev` by default; `COGZY_API_URL` points the dev proxy elsewhere (npm start picks a port).
const apiTarget = process.env['COGZY_API_URL'] ?? 'http://127.0.0.1:8787';

export default defineConfig({
  root: 'web',
  publicDir: 'public',
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  worker: { format: 'es' },
  server: {
    proxy: { '/api': { target: apiTarget, changeOrigin: true } },
  },
  // `npm run preview` serves the production build (with its service worker) against the same local Worker.
  preview: {
    proxy: { '/api': { target: apiTarget, changeOrigin: true } },
  },
  plugins: [
    solid(),
    VitePWA({
      // 'prompt': a waiting service worker is announced and the person chooses when to reload, so a tab is never
      // reloaded under an IndexedDB upgrade or an import in progress.
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icons/*.svg', 'icons/*.png'],
      manifest: {
        // A stable identity for the installed app, whatever start_url becomes later.
        id: './',
        name: 'Cogzy Vault',
        short_name: 'Cogzy',
        description: 'Your AI chat history, imported, searchable and kept on your device.',
        start_url: './',
        scope: './',
        display: 'standalone',
        theme_color: '#3b4fd8',
        background_color: '#f7f7fb',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
        // Long-press / right-click on the installed icon goes straight to the two things people open the app for.
        shortcuts: [
          { name: 'Search', short_name: 'Search', description: 'Search your chat history', url: './#/search', icons: [{ src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' }] },
          { name: 'Import', short_name: 'Import', description: 'Import a chat export', url: './#/import', icons: [{ src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' }] },
        ],
        // Opening the app again focuses the window already open instead of starting a second copy of the vault.
        launch_handler: { client_mode: ['navigate-existing', 'auto'] },
        // "Open with Cogzy Vault" on an export imports it (web/src/pwa/launch.ts reads window.launchQueue).
        file_handlers: [
          {
            action: './',
            accept: {
              'application/zip': ['.zip'],
              'application/json': ['.json'],
              'text/csv': ['.csv'],
              'text/html': ['.html', '.htm'],
            },
          },
        ],
        // Android's share sheet: the service worker keeps the shared files and opens the Import page
        // (web/public/share-target-sw.js, then web/src/pwa/launch.ts).
        share_target: {
          action: './share-target',
          method: 'POST',
          enctype: 'multipart/form-data',
          params: {
            files: [{ name: 'export', accept: ['.zip', '.json', '.csv', '.html', 'application/zip', 'application/json', 'text/csv', 'text/html'] }],
          },
        },
        // The richer install dialog shows these (captured from the app with a generated history, no real person's data).
        screenshots: [
          { src: 'screenshots/wide.png', sizes: '1280x800', type: 'image/png', form_factor: 'wide', label: 'Search across every AI chat you imported' },
          { src: 'screenshots/narrow.png', sizes: '390x844', type: 'image/png', form_factor: 'narrow', label: 'Your chat history on your phone' },
        ],
      },
      workbox: {
        // Precache only the shell: HTML, JS/CSS chunks (including the worker chunks), icons, manifest. onnxruntime-web's
        // ~27 MB .wasm is left out so installing the app stays small for people who embed remotely or only use keyword
        // search; it is cached at runtime below the first time the on-device model runs.
        globPatterns: ['**/*.{js,mjs,css,html,svg,png,ico,webmanifest}'],
        // The manifest's screenshots are for the install dialog only: no need to keep them offline.
        globIgnores: ['screenshots/**'],
        // Receives Android shares (manifest share_target) before the precache routes see the request.
        importScripts: ['share-target-sw.js'],
        // The largest precached file is the local-embedder worker chunk (~0.7 MB); a shell file that grows past
        // this limit would be left out of the precache (with a build warning), so raise it only if that happens.
        maximumFileSizeToCacheInBytes: 2 * 1024 * 1024,
        runtimeCaching: [
          {
            // The runtime's .wasm has a content hash in its name, so a cached copy never goes stale: CacheFirst makes
            // the on-device model work offline after its first use. Only same-origin 200s are stored (the app serves
            // the file itself, so no opaque responses); onnxruntime fetches the whole file, never byte ranges.
            // Two entries keep the current file and let an old version's file be evicted after an update.
            urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.endsWith('.wasm'),
            handler: 'CacheFirst',
            options: {
              cacheName: 'cogzy-onnx-runtime',
              cacheableResponse: { statuses: [200] },
              expiration: { maxEntries: 2, purgeOnQuotaError: true },
            },
          },
          {
            // Model files a self-hoster serves from this site (Settings → Embeddings → "Model files from this site"),
            // e.g. /models/<id>/onnx/model_quantized.onnx. Hub downloads are cross-origin and cached by transformers.js.
            urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.includes('/models/'),
            handler: 'CacheFirst',
            options: {
              cacheName: 'cogzy-local-models',
              cacheableResponse: { statuses: [200] },
              expiration: { maxEntries: 32, purgeOnQuotaError: true },
            },
          },
        ],
        // The first install takes control of the open page at once, so every view's chunk comes from the precache
        // from the first session on (going offline before any reload must not break a view that was not opened yet).
        // Updates still wait for the person (registerType 'prompt': skipWaiting only when they choose Reload), and
        // clientsClaim acts only on activation, so an open tab is never switched under an import.
        clientsClaim: true,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/api\//],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
});
