import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { requestUrl } from './http.js';
import type { Hub } from './hub.js';

/**
 * What only the demo pages need, and only `realtime-elements-server --demo` (and `npm start`)
 * serves: a made-up price every second on `demo-prices` (numbered, so a page can show there is
 * no gap), `POST /demo-api/cut` (drops every open hub connection for real, to show a resume),
 * `GET /demo-api/stats` (the hub's connection counts), `POST /demo-api/chat` (an OpenAI-style
 * stream of a canned answer, word by word, for the chat demo) and the relay worker at
 * `/sw-relay-worker.js` (at the root, so its scope can be the whole site).
 */
export interface DemoEndpoints {
  /** Answers a demo endpoint; false for any other request. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Remembers a hub connection (an SSE or poll response, a WebSocket) so `cut` can drop it. */
  track(connection: ServerResponse | Duplex): void;
  /** Stops the ticker. */
  close(): void;
}

/** Largest prompt the chat endpoint reads, bytes. */
const maxPrompt = 4096;

/**
 * `POST /demo-api/chat` with `{"prompt": "…"}`: a made-up answer streamed as an LLM API does,
 * one `data: {"delta":"…"}` chunk per word (with an id, so a cut resumes by `Last-Event-ID`),
 * then `data: [DONE]`. A client that goes (Stop) ends the stream at once.
 */
function chat(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
    if (body.length > maxPrompt) req.destroy();
  });
  req.on('end', () => {
    let prompt = '';
    try {
      prompt = String((JSON.parse(body) as { prompt?: unknown }).prompt ?? '');
    } catch {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'bad-request', message: 'Send {"prompt": "…"} as JSON.' }));
      return;
    }
    const words = (
      `You asked about “${prompt.slice(0, 200)}”. This answer is made up by the demo server ` +
      'and streamed one word at a time, the way a language model API does: the page appends ' +
      'each delta as text, never as HTML, and the stream ends with [DONE]. Switch tabs while ' +
      'it runs: nothing is sent twice. Press Stop: the request is aborted and the server stops.'
    ).split(' ');
    const resume = Number(req.headers['last-event-id']);
    let i = Number.isInteger(resume) && resume >= 0 ? resume + 1 : 0;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    const timer = setInterval(() => {
      if (i >= words.length) {
        clearInterval(timer);
        res.end('data: [DONE]\n\n');
        return;
      }
      res.write(`id: ${i}\ndata: ${JSON.stringify({ delta: (i ? ' ' : '') + words[i] })}\n\n`);
      i++;
    }, 80);
    res.on('close', () => clearInterval(timer));
  });
}

export function demoEndpoints(hub: Hub, workerFile: string): DemoEndpoints {
  let n = 0;
  let price = 100;
  const ticker = setInterval(() => {
    price = Math.max(1, price + (Math.random() - 0.5) * 2);
    const tick = { n: ++n, price: Math.round(price * 100) / 100, at: Date.now() };
    hub.publish('demo-prices', tick).catch(() => {});
  }, 1000);
  ticker.unref();
  const connections = new Set<ServerResponse | Duplex>();

  const json = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  return {
    handleRequest(req, res) {
      const path = requestUrl(req).pathname;
      if (path === '/demo-api/cut' && req.method === 'POST') {
        const cut = connections.size;
        for (const connection of connections) {
          ('socket' in connection && connection.socket ? connection.socket : connection).destroy();
        }
        json(res, { cut });
        return true;
      }
      if (path === '/demo-api/chat' && req.method === 'POST') {
        chat(req, res);
        return true;
      }
      if (path === '/demo-api/stats' && req.method === 'GET') {
        json(res, hub.stats());
        return true;
      }
      if (path === '/sw-relay-worker.js' && req.method === 'GET') {
        readFile(workerFile, 'utf8').then(
          (body) => {
            res.writeHead(200, {
              'Content-Type': 'text/javascript; charset=utf-8',
              'Cache-Control': 'no-cache',
            });
            res.end(body);
          },
          () => res.writeHead(404).end(),
        );
        return true;
      }
      return false;
    },
    track(connection) {
      connections.add(connection);
      connection.on('close', () => connections.delete(connection));
    },
    close() {
      clearInterval(ticker);
    },
  };
}
