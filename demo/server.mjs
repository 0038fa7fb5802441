/**
 * The demo server: @web/dev-server over the project folder (so pages import the built library
 * from dist/ with bare imports resolved), opening at /demo/.
 */
import { startDevServer } from '@web/dev-server';

export async function startDemoServer({ port = 8000, host = 'localhost' } = {}) {
  const server = await startDevServer({
    config: {
      rootDir: '.',
      port,
      hostname: host,
      nodeResolve: true,
      appIndex: 'demo/index.html',
      open: false,
      watch: false,
      clearTerminalOnReload: false,
    },
    readCliArgs: false,
    readFileConfig: false,
    logStartMessage: false,
    autoExitProcess: false,
  });
  const address = server.server.address();
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${address.port}/demo/`,
    port: address.port,
    stop: () => server.stop(),
  };
}
