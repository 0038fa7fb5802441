/**
 * One first-in first-out queue of deliveries per global, run in tasks: a `BroadcastChannel`
 * post queues a task per receiver (HTML § 9.5.2), so deliveries here never run inside
 * `postMessage()`, a message that arrives from another context and a reply posted while it is
 * being delivered keep their causal order, and each receiver sees the messages of this global
 * in posting order.
 */

const queue: (() => void)[] = [];
let scheduled = false;
let port: MessagePort | undefined;

function run(): void {
  scheduled = false;
  // Only what was queued before this task: a ping-pong between two channels of one page yields
  // to the event loop after every round, as native tasks do.
  const batch = queue.splice(0);
  // A throwing listener is reported by dispatchEvent itself; nothing here can throw.
  for (const delivery of batch) delivery();
  if (queue.length) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  if (typeof MessageChannel !== 'function') {
    setTimeout(run);
    return;
  }
  if (!port) {
    // A message to oneself is a task that timers' 4 ms clamp and background throttling skip.
    const channel = new MessageChannel();
    channel.port1.onmessage = run;
    port = channel.port2;
  }
  port.postMessage(0);
}

/** Runs `delivery` in a later task, after every delivery queued before it. */
export function deliver(delivery: () => void): void {
  queue.push(delivery);
  schedule();
}
