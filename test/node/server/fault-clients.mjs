// Reconnecting test clients of a hub (SSE, WebSocket, long-poll) that record what they receive:
// every published value, every reset, so a fault test can check "each event once, or a reset".
import { get } from 'node:http';
import WebSocket from 'ws';
import { sseRecords } from './hub-helpers.mjs';

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class Recorder {
  constructor(kind, hub) {
    this.name = `${kind}@${hub.origin}`;
    this.received = [];
    this.resets = [];
    this.lastId = undefined;
    this.stopped = false;
  }
  has(value) {
    return this.received.includes(value);
  }
  event(id, data) {
    this.lastId = id;
    this.received.push(data);
  }
  reset(id, reason) {
    this.lastId = id;
    this.resets.push(reason);
  }
}

/** An SSE reader that reconnects like a browser (with `Last-Event-ID`) whenever it is cut. */
export class SseClient extends Recorder {
  constructor(hub, topic) {
    super('sse', hub);
    this.url = hub.url(`/sse?topic=${topic}`);
    this.connect();
  }
  connect() {
    if (this.stopped) return;
    const headers = this.lastId ? { 'Last-Event-ID': this.lastId } : {};
    this.connects = (this.connects ?? 0) + 1;
    this.req = get(this.url, { headers, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        (this.statuses ??= []).push(res.statusCode);
        res.resume();
        res.on('end', () => setTimeout(() => this.connect(), 100));
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
        const end = text.lastIndexOf('\n\n');
        if (end < 0) return;
        const complete = text.slice(0, end + 2);
        text = text.slice(end + 2);
        for (const record of sseRecords(complete)) {
          if (record.event === 'cursor') this.lastId = record.id;
          else if (record.event === 'reset') this.reset(record.id, JSON.parse(record.data).reason);
          else if (record.data !== undefined) this.event(record.id, JSON.parse(record.data));
        }
      });
      res.on('close', () => setTimeout(() => this.connect(), 100));
      res.on('error', () => {});
    });
    this.req.on('error', () => setTimeout(() => this.connect(), 100));
  }
  stop() {
    this.stopped = true;
    this.req?.destroy();
  }
}

/** A WebSocket subscriber that resubscribes with `since` after every close. */
export class WsClient extends Recorder {
  constructor(hub, topic) {
    super('ws', hub);
    this.url = hub.url('/ws').replace('http', 'ws');
    this.topic = topic;
    this.closes = [];
    this.connect();
  }
  connect() {
    if (this.stopped) return;
    const socket = (this.socket = new WebSocket(this.url));
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'subscribe', topics: [this.topic], since: this.lastId })),
    );
    socket.on('message', (raw) => {
      const frame = JSON.parse(raw.toString());
      if (frame.type === 'subscribed' && frame.id) this.lastId = frame.id;
      else if (frame.type === 'message') this.event(frame.id, frame.data);
      else if (frame.type === 'reset') this.reset(frame.id, frame.reason);
      else if (frame.type === 'error') this.closes.push(`error frame ${frame.code}`);
    });
    socket.on('close', (code) => {
      this.closes.push(code);
      setTimeout(() => this.connect(), 100);
    });
    socket.on('error', () => {});
  }
  stop() {
    this.stopped = true;
    this.socket?.terminate();
  }
}

/** A long-poll loop: `since` = the last cursor; waits and tries again on any failure. */
export class PollClient extends Recorder {
  constructor(hub, topic) {
    super('poll', hub);
    this.url = hub.url(`/poll?topic=${topic}&timeout=1000`);
    this.statuses = [];
    void this.loop();
  }
  async loop() {
    while (!this.stopped) {
      const since = this.lastId ? `&since=${encodeURIComponent(this.lastId)}` : '';
      try {
        const res = await fetch(this.url + since, { signal: AbortSignal.timeout(10_000) });
        if (res.status !== 200) {
          this.statuses.push(res.status);
          await res.body?.cancel();
          await pause(100);
          continue;
        }
        const body = await res.json();
        for (const event of body.events) this.event(event.id, event.data);
        if (body.reset) this.reset(body.cursor, body.reset.reason);
        this.lastId = body.cursor;
      } catch {
        await pause(100);
      }
    }
  }
  stop() {
    this.stopped = true;
  }
}
