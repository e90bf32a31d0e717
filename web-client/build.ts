/** Bundles the web client into web-client/dist (served by the control plane). */
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = `${root}dist`;

await mkdir(dist, { recursive: true });
/** The player page (app.js) and the studio page (studio.js). */
const pages = [
  ['main.ts', 'app.js'],
  ['studio.ts', 'studio.js'],
] as const;
await Promise.all(
  pages.map(([entry, bundle]) =>
    build({
      entryPoints: [`${root}src/${entry}`],
      bundle: true,
      format: 'esm',
      target: 'chrome110',
      sourcemap: true,
      minify: true,
      outfile: `${dist}/${bundle}`,
      logLevel: 'warning',
    }),
  ),
);
await Promise.all(['index.html', 'studio.html', 'styles.css'].map((file) => copyFile(`${root}${file}`, `${dist}/${file}`)));
console.log(`web client built into ${dist}`);
