// One hub process for the scale-out tests: `node hub-process.mjs <redis-url> [options-json]`
// prints its URL.
import { createServer } from 'node:http';
import { createHub } from '../../../dist/server/index.js';

const hub = createHub({
  redis: process.argv[2],
  keepAliveInterval: 500,
  retry: 100,
  ...JSON.parse(process.argv[3] ?? '{}'),
});
const server = createServer((req, res) => {
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
