/** Bundles the web client into web-client/dist (served by the control plane). */
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = `${root}dist`;

await mkdir(dist, { recursive: true });
// The page, and the worker that decodes and paints the stream (src/lib/decoded-view/), which the page loads from beside it.
await build({
  entryPoints: { app: `${root}src/main.ts`, 'decoder-worker': `${root}src/lib/decoded-view/decoder-worker.ts` },
  bundle: true,
  format: 'esm',
  target: 'chrome110',
  sourcemap: true,
  minify: true,
  outdir: dist,
  logLevel: 'warning',
});
await Promise.all(['index.html', 'styles.css'].map((file) => copyFile(`${root}${file}`, `${dist}/${file}`)));
console.log(`web client built into ${dist}`);
