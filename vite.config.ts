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
  plugins: [
    solid(),
    VitePWA({
      // 'prompt': a waiting service worker is announced and the person chooses when to reload, so a tab is never
      // reloaded under an IndexedDB upgrade or an import in progress.
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icons/*.svg', 'icons/*.png'],
      manifest: {
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
      },
      workbox: {
        // The shell, worker chunks, wasm and on-device model files are precached so the app works fully offline;
        // the default 2 MiB cap would fail the build on wasm/model files.
        globPatterns: ['**/*.{js,mjs,css,html,svg,png,ico,webmanifest,wasm,json,onnx}'],
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/api\//],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
});
