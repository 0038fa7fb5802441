// One hub process for the scale-out tests: `node hub-process.mjs <redis-url> [name] [options-json]`
// prints its URL on stdout; its log goes to stderr. `name` names its Redis connections (CLIENT
// LIST); the options are merged into createHub's.
import { createServer } from 'node:http';
import { createHub } from '../../../dist/server/index.js';

const [url, name, extra] = process.argv.slice(2);
const hub = createHub({
  redis: { url, redisOptions: name ? { connectionName: name } : {} },
  keepAliveInterval: 500,
  retry: 100,
  logger: { info: (line) => console.error(line), warn: (line) => console.error(line) },
  // Who a client is: its WebSocket auth token, or its X-User header (hub.disconnect tests).
  // `X-Info` (JSON): the grant's info (presence tests).
  authorize: ({ req, token }) => ({
    user: token ?? req.headers['x-user'],
    ...(req.headers['x-info'] ? { info: JSON.parse(req.headers['x-info']) } : {}),
  }),
  ...JSON.parse(extra || '{}'),
});
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  // POST /disconnect?user=…: hub.disconnect({ user }) from this process; answers the count here.
  if (url.pathname === '/disconnect' && req.method === 'POST') {
    hub.disconnect({ user: url.searchParams.get('user') }).then((ended) => {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ended }));
    });
    return;
  }
  if (!hub.handleRequest(req, res)) res.writeHead(404).end();
});
server.on('upgrade', (req, socket, head) => {
  if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
});
server.listen(0, '127.0.0.1', () =>
  console.log(`listening http://127.0.0.1:${server.address().port}`),
);
process.on('SIGTERM', async () => {
  await hub.close();
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
