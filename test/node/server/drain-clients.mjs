// Light subscribers for the drain tests, many per process: raw HTTP SSE streams and `ws`
// sockets that follow a moved connection the way <sse-feed> and <socket-relay> do (to the
// other process, from their cursor) and record every event id they get.
import { get } from 'node:http';
import WebSocket from 'ws';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One subscriber. `target()` is the hub origin to (re)connect to (the load balancer's choice);
 * `ids` are the event ids received, in order; `on` the origin it is currently subscribed on.
 */
export class DrainClient {
  ids = [];
  cursor = '';
  on = '';
  /** Date.now() when it was subscribed on each origin. */
  joined = new Map();
  errors = [];
  closed = false;

  constructor(kind, topic, target) {
    this.kind = kind;
    this.topic = topic;
    this.target = target;
  }

  connect() {
    if (this.closed) return;
    if (this.kind === 'sse') this.sse(this.target());
    else this.ws(this.target());
  }

  /** Reconnects after `ms` (what the server asked for: `retry:`, `Retry-After`, or jitter). */
  async later(ms) {
    this.on = '';
    await sleep(ms);
    this.connect();
  }

  sse(origin) {
    const headers = this.cursor ? { 'Last-Event-ID': this.cursor } : {};
    let retry = 1000;
    let gone = false;
    const again = (ms) => !gone && !this.closed && ((gone = true), this.later(ms));
    const req = get(
      `${origin}/realtime/sse?topic=${this.topic}`,
      { headers, agent: false },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          const wait = Number(res.headers['retry-after'] ?? 1) * 1000;
          return void again(wait);
        }
        this.on = origin;
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let id = '';
            let event = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) id = line.slice(4);
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('retry: ')) retry = Number(line.slice(7));
            }
            if (!id) continue;
            this.cursor = id;
            if (event === 'cursor') this.joined.set(origin, Date.now());
            else if (event === this.topic) this.ids.push(id);
            else this.errors.push(`unexpected event ${event}`);
          }
        });
        res.on('close', () => again(retry));
        res.on('error', () => {});
      },
    );
    req.on('error', (error) => {
      if (!gone) this.errors.push(`sse ${error.message}`);
      again(1000);
    });
    // A resumed stream gets no cursor event: joined once the 200 is in.
    req.on('response', (res) => res.statusCode === 200 && this.joined.set(origin, Date.now()));
    this.close = () => ((this.closed = true), req.destroy());
  }

  ws(origin) {
    const socket = new WebSocket(`${origin.replace('http', 'ws')}/realtime/ws`);
    let gone = false;
    const again = (ms) => !gone && !this.closed && ((gone = true), this.later(ms));
    socket.on('unexpected-response', (req, res) => {
      req.destroy();
      again(Number(res.headers['retry-after'] ?? 1) * 1000);
    });
    socket.on('open', () =>
      socket.send(
        JSON.stringify({
          type: 'subscribe',
          topics: [this.topic],
          since: this.cursor || undefined,
        }),
      ),
    );
    socket.on('message', (raw) => {
      const frame = JSON.parse(raw.toString());
      if (frame.type === 'subscribed') {
        this.on = origin;
        this.joined.set(origin, Date.now());
        if (frame.id && !this.cursor) this.cursor = frame.id;
      } else if (frame.type === 'message') {
        this.cursor = frame.id;
        this.ids.push(frame.id);
      } else if (frame.type !== 'hello') this.errors.push(`frame ${raw}`);
    });
    socket.on('close', (code) => {
      if (this.closed || gone) return;
      if (code !== 1001) this.errors.push(`ws closed ${code}`);
      // As <socket-relay> after a 1001: soon, with jitter.
      again(Math.random() * 1000);
    });
    socket.on('error', (error) => {
      if (gone) return;
      this.errors.push(`ws ${error.message}`);
      again(1000);
    });
    this.close = () => ((this.closed = true), socket.terminate());
  }
}
