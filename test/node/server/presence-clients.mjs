// Presence readers for the hub's presence tests: an SSE stream or a WebSocket that keeps the
// members it was told of (snapshot, join, leave) and counts what would be a fault: a join of a
// user it already has with the same info (a duplicate) or a leave of one it does not have.
import { openSse, openWs, sseRecords } from './hub-helpers.mjs';

class View {
  constructor() {
    this.members = new Map();
    this.log = [];
    this.faults = [];
    this.snapshots = 0;
  }
  apply(message) {
    this.log.push(message);
    const { action, user } = message;
    if (action === 'snapshot') {
      this.snapshots++;
      this.members = new Map(message.members.map((m) => [m.user, m.info]));
    } else if (action === 'join') {
      if (
        this.members.has(user) &&
        JSON.stringify(this.members.get(user)) === JSON.stringify(message.info)
      ) {
        this.faults.push(`duplicate join ${user}`);
      }
      this.members.set(user, message.info);
    } else if (action === 'leave') {
      if (!this.members.delete(user)) this.faults.push(`leave of absent ${user}`);
    }
  }
  users() {
    return [...this.members.keys()].sort();
  }
}

/** An SSE presence reader of `topic` as `user` (`X-User`; `info` in `X-Info`). */
export async function sseView(hubUrl, topic, user, info) {
  const headers = { 'X-User': user };
  if (info !== undefined) headers['X-Info'] = JSON.stringify(info);
  const stream = await openSse(hubUrl(`/sse?topic=${encodeURIComponent(topic)}`), headers);
  const view = new View();
  view.user = user;
  view.status = stream.status;
  view.stream = stream;
  let seen = 0;
  const read = () => {
    const records = sseRecords(stream.text.slice(0, stream.text.lastIndexOf('\n\n') + 2));
    for (const record of records.slice(seen)) {
      if (record.event === '$presence') view.apply(JSON.parse(record.data));
    }
    seen = records.length;
  };
  // Also on a timer: a chunk that came before this listener was added is read too.
  stream.res.on('data', () => setImmediate(read));
  const timer = setInterval(read, 20);
  stream.res.on('close', () => clearInterval(timer));
  view.close = () => {
    clearInterval(timer);
    stream.close();
  };
  return view;
}

/** A WebSocket presence reader of `topic` as `user` (its `auth` token; `info` in `X-Info`). */
export async function wsView(hubUrl, topic, user, info) {
  const headers = info !== undefined ? { 'X-Info': JSON.stringify(info) } : {};
  const ws = await openWs(hubUrl('/ws').replace('http', 'ws'), { headers });
  const view = new View();
  view.user = user;
  view.ws = ws;
  ws.socket.on('message', (raw) => {
    const frame = JSON.parse(raw.toString());
    if (frame.type === 'presence') view.apply(frame);
  });
  ws.send({ type: 'auth', token: user });
  ws.send({ type: 'subscribe', topics: [topic], ref: 1 });
  view.close = () => ws.socket.terminate();
  return view;
}
