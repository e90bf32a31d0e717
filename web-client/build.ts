/** Bundles the web client into web-client/dist (served by the control plane). */
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = `${root}dist`;

await mkdir(dist, { recursive: true });
/**
 * The player page (app.js, with the worker that decodes and paints its stream: src/lib/decoded-view/,
 * and the one that reads a checked stream's SEI: src/lib/stream-inspector/) and the studio page (studio.js).
 */
await build({
  entryPoints: { app: `${root}src/main.ts`, 'decoder-worker': `${root}src/lib/decoded-view/decoder-worker.ts`, 'inspector-worker': `${root}src/lib/stream-inspector/inspector-worker.ts`, studio: `${root}src/studio.ts` },
  bundle: true,
  format: 'esm',
  target: 'chrome110',
  sourcemap: true,
  minify: true,
  outdir: dist,
  logLevel: 'warning',
});
await Promise.all(['index.html', 'studio.html', 'styles.css'].map((file) => copyFile(`${root}${file}`, `${dist}/${file}`)));
console.log(`web client built into ${dist}`);
