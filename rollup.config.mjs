import { readdirSync } from 'node:fs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { minify } from 'terser';
import { privateNames } from './scripts/private-names.mjs';

/**
 * CDN files, built from tsc's output in dist/: one self-contained bundle that defines every
 * tag (Lit inlined) and one file per element. Lazily loaded parts become sibling chunks that
 * the bundle imports relative to its own URL, so the folder can be served as it is.
 */
const elements = readdirSync('dist')
  .filter((file) => file.endsWith('-define.js'))
  .map((file) => file.slice(0, -'-define.js'.length));

// Private members get short names in the CDN files (scripts/private-names.mjs): about 0.4 KB of
// the core bundle's min+gzip. Each chunk gets a fresh copy of the one fixed property mapping:
// a name cache shared across chunks would also carry top-level variable names from one chunk
// into the next (\`Identifier '$' has already been declared\`).
const { regex, nameCache } = privateNames();
const minifier = {
  name: 'minify',
  async renderChunk(code) {
    const result = await minify(code, {
      ecma: 2021,
      module: true,
      format: { comments: false },
      mangle: { properties: { regex } },
      nameCache: structuredClone(nameCache),
      sourceMap: true,
    });
    return { code: result.code, map: result.map };
  },
};
const plugins = [nodeResolve(), minifier];
const bundle = (input, file) => ({
  input,
  plugins,
  // Lazy chunks import what they share with the entry from the entry itself, so the entry stays
  // one file (no facade over a second chunk).
  preserveEntrySignatures: 'allow-extension',
  output: { file, format: 'es', sourcemap: true, inlineDynamicImports: false },
  onwarn(warning, warn) {
    if (warning.code === 'THIS_IS_UNDEFINED') return;
    warn(warning);
  },
});

/** Classic scripts for service workers: the ready-made relay worker and the importScripts form. */
const workerScript = (input, file) => ({
  input,
  plugins: [terser({ ecma: 2021, format: { comments: false } })],
  output: { file, format: 'iife', sourcemap: true },
});

export default [
  workerScript('dist/worker/sw-relay-worker.js', 'dist/sw-relay-worker.js'),
  workerScript('dist/worker/import-scripts.js', 'dist/sw-relay-import.js'),
  {
    ...bundle('dist/define.js'),
    output: {
      dir: 'dist/cdn',
      entryFileNames: 'realtime-elements.js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      format: 'es',
      sourcemap: true,
    },
  },
  // The autoloader: each element a chunk of its own, Lit and the internals shared between them.
  {
    ...bundle('dist/autoload.js'),
    output: {
      dir: 'dist/cdn',
      entryFileNames: 'autoload.js',
      chunkFileNames: 'auto/[name]-[hash].js',
      format: 'es',
      sourcemap: true,
    },
  },
  ...elements.map((tag) => ({
    ...bundle(`dist/${tag}-define.js`),
    output: {
      dir: 'dist/cdn',
      entryFileNames: `${tag}.js`,
      chunkFileNames: 'chunks/[name]-[hash].js',
      format: 'es',
      sourcemap: true,
    },
  })),
];
