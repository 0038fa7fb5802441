// A loopback port for a process that cannot be told to listen on port 0 (redis-server, nginx, a
// README block that prints its own port). Picked below the kernel's ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range, 32768–60999 by default): a port that listen(0) gave
// and then closed goes back to that pool, where any outgoing connection or listen(0) of another
// process (other suites run on the same machine) may take it before the child binds it, or while
// the child is down for a restart. Ports here are only ever taken by explicit choice.
import { createServer } from 'node:net';

const LOW = 20_000;
const HIGH = 32_000;

/** Resolves with a port in [20000, 32000) that was free on 127.0.0.1 a moment ago. */
export async function freePort() {
  for (;;) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    const free = await new Promise((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
