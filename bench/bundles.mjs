/**
 * Browser builds of the peer libraries, made the same way as our CDN files (rollup, terser,
 * gzip level 9), so the pages can load them and their bytes compare fairly.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import replace from '@rollup/plugin-replace';
import { minify } from 'terser';

export const peers = {
  'broadcast-channel': "export { BroadcastChannel } from 'broadcast-channel';",
  'reconnecting-websocket': "export { default } from 'reconnecting-websocket';",
  partysocket: "export { WebSocket } from 'partysocket';",
  '@microsoft/fetch-event-source':
    "export { fetchEventSource } from '@microsoft/fetch-event-source';",
  penpal: "export { connect, WindowMessenger } from 'penpal';",
};

export const cacheDir = 'bench/.cache';
export const gzipped = (code) => gzipSync(code, { level: 9 }).length;

/** Writes bench/.cache/<name>.js for each peer; returns the min+gzip bytes of each. */
export async function bundlePeers() {
  mkdirSync(cacheDir, { recursive: true });
  const bytes = {};
  for (const [name, source] of Object.entries(peers)) {
    const build = await rollup({
      input: 'entry',
      plugins: [
        {
          name: 'entry',
          resolveId: (id) => (id === 'entry' ? id : null),
          load: (id) => (id === 'entry' ? source : null),
        },
        replace({ preventAssignment: true, values: { 'process.env.NODE_ENV': '"production"' } }),
        nodeResolve({ browser: true, preferBuiltins: false }),
        commonjs(),
      ],
      onwarn: () => {},
    });
    const { output } = await build.generate({ format: 'es', inlineDynamicImports: true });
    const min = await minify(output[0].code, {
      ecma: 2021,
      module: true,
      format: { comments: false },
    });
    writeFileSync(`${cacheDir}/${name.replace(/[@/]/g, '_')}.js`, min.code);
    bytes[name] = gzipped(min.code);
  }
  return bytes;
}

export const peerUrl = (name) => `/${cacheDir}/${name.replace(/[@/]/g, '_')}.js`;

/** min+gzip of each CDN file (Lit included) and of the full bundle. */
export function ourBytes(tags) {
  const bytes = {
    'realtime-elements.js (all)': gzipped(readFileSync('dist/cdn/realtime-elements.js')),
  };
  for (const tag of tags) bytes[`<${tag}>`] = gzipped(readFileSync(`dist/cdn/${tag}.js`));
  return bytes;
}
