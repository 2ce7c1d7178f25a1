/*
 * Android's share sheet → Cogzy Vault (manifest `share_target`, loaded into the service worker by importScripts).
 * The share arrives as a multipart POST to ./share-target. The files are kept in Cache Storage under
 * ./__shared__/<batch>/<n> (the name in `x-file-name`), then the app is opened at #/import?shared=<batch>, where
 * web/src/pwa/launch.ts takes them out and imports them. Nothing is sent anywhere: this all stays on the device.
 */
/* global self, caches, Request, Response, URL */
const SHARED_CACHE = 'cogzy-shared-files';

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  if (request.method !== 'POST' || url.origin !== scope.origin || url.pathname !== `${scope.pathname}share-target`) return;
  event.respondWith(
    (async () => {
      const batch = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
      try {
        const form = await request.formData();
        const files = form.getAll('export').filter((value) => typeof value !== 'string');
        const cache = await caches.open(SHARED_CACHE);
        let n = 0;
        for (const file of files) {
          const headers = { 'content-type': file.type || 'application/octet-stream', 'x-file-name': encodeURIComponent(file.name || `shared-${n}`) };
          await cache.put(new Request(`${scope.href}__shared__/${batch}/${n}`), new Response(file, { headers }));
          n += 1;
        }
        return Response.redirect(`${scope.href}#/import?shared=${n > 0 ? batch : 'none'}`, 303);
      } catch {
        return Response.redirect(`${scope.href}#/import?shared=failed`, 303);
      }
    })(),
  );
});
