#!/usr/bin/env node
// Writes the PWA icons (web/public/icons/*.png + icon.svg) without any image library or network: a vault door
// (ring + hub) drawn with anti-aliased signed distances and encoded as PNG with node's zlib.
// Run: node web/src/pwa/generate-icons.mjs
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const out = resolve(import.meta.dirname, '../../public/icons');
mkdirSync(out, { recursive: true });

const BG = [59, 79, 216];
const FG = [255, 255, 255];

const crcTable = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x + 0.5, y + 0.5);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r; raw[o + 1] = g; raw[o + 2] = b; raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
const clamp = (v) => Math.max(0, Math.min(1, v));
const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));

// maskable: full-bleed background, artwork inside the 80% safe zone; any: rounded square.
function icon(size, maskable) {
  const c = size / 2;
  const s = size / 512;
  const radius = maskable ? size : 112 * s;
  const scale = maskable ? 0.72 : 1;
  return png(size, (x, y) => {
    const dx = Math.max(Math.abs(x - c) - (c - radius), 0);
    const dy = Math.max(Math.abs(y - c) - (c - radius), 0);
    const bgAlpha = maskable ? 1 : clamp(radius - Math.hypot(dx, dy) + 0.5);
    const d = Math.hypot(x - c, y - c) / scale;
    const ring = clamp(22 * s - Math.abs(d - 150 * s) + 0.5);
    const hub = clamp(46 * s - d + 0.5);
    let spoke = 0;
    for (const angle of [0, Math.PI / 2, Math.PI, (3 * Math.PI) / 2]) {
      const ux = Math.cos(angle), uy = Math.sin(angle);
      const px = (x - c) / scale, py = (y - c) / scale;
      const along = px * ux + py * uy;
      const across = Math.abs(-px * uy + py * ux);
      if (along > 0 && along < 150 * s) spoke = Math.max(spoke, clamp(12 * s - across + 0.5));
    }
    const fg = Math.max(ring, hub, spoke);
    const [r, g, b] = mix(BG, FG, fg);
    return [r, g, b, Math.round(bgAlpha * 255)];
  });
}

writeFileSync(resolve(out, 'icon-192.png'), icon(192, false));
writeFileSync(resolve(out, 'icon-512.png'), icon(512, false));
writeFileSync(resolve(out, 'icon-maskable-512.png'), icon(512, true));
writeFileSync(resolve(out, 'apple-touch-icon.png'), icon(180, true));
writeFileSync(
  resolve(out, 'icon.svg'),
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512" rx="112" fill="rgb(${BG.join(',')})"/>` +
    `<g fill="none" stroke="#fff"><circle cx="256" cy="256" r="150" stroke-width="44"/>` +
    `<path d="M256 106v300M106 256h300" stroke-width="24"/></g><circle cx="256" cy="256" r="46" fill="#fff"/></svg>\n`,
);
console.log(`icons written to ${out}`);
