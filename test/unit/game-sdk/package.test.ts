/**
 * The SDK is a package of its own: everything it pulls in, followed through every import, is
 * the SDK, the shared protocol definitions, or TypeBox (which the protocol validates input
 * with), never the rest of the edge node.
 */
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const sdkDir = new URL('../../../edge-node/game-sdk/', import.meta.url);

describe('@edgeplay/game-sdk package', () => {
  it('is an ES module package whose entry reaches only the SDK, protocol/ and TypeBox', async () => {
    const pkg = JSON.parse(await readFile(new URL('package.json', sdkDir), 'utf8')) as { name: string; type: string; exports: Record<string, { types: string; default: string }>; dependencies: Record<string, string> };
    expect(pkg).toMatchObject({ name: '@edgeplay/game-sdk', type: 'module', exports: { '.': { types: './index.ts', default: './index.ts' } } });
    expect(Object.keys(pkg.dependencies)).toEqual(['@sinclair/typebox']);

    const result = await build({ entryPoints: [new URL('index.ts', sdkDir).pathname], bundle: true, platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.startsWith('edge-node/game-sdk/'))).toBe(true);
    expect(inputs.some((path) => path === 'protocol/game-protocol.ts')).toBe(true);
    const outside = inputs.filter((path) => !/^(edge-node\/game-sdk\/|protocol\/|node_modules\/@sinclair\/typebox\/)/.test(path));
    expect(outside).toEqual([]);
  });
});
