import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HubCore } from './core.js';
import { corsHeaders, sendJson } from './http.js';
import { HttpEndpoint } from './http-endpoint.js';
import { Subscriber } from './subscriber.js';
import type { HubEvent } from './types.js';

/** `GET <basePath>/poll`: long-poll with a cursor (`since`), answered as JSON. */
export class PollEndpoint extends HttpEndpoint {
  private readonly pending = new Set<() => void>();

  constructor(core: HubCore) {
    super(core);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Answers every held poll (with what it has). */
  close(): void {
    for (const answer of [...this.pending]) answer();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const core = this.core;
    const admitted = await this.admitSubscriber(req, res);
    if (!admitted) return;
    const { url, topics } = admitted;
    const since = url.searchParams.get('since') || undefined;
    const asked = Number(url.searchParams.get('timeout'));
    const hold = Math.min(
      core.options.pollTimeout,
      asked >= 0 && url.searchParams.has('timeout') ? asked : core.options.pollTimeout,
    );
    const events: HubEvent[] = [];
    let answered = false;
    let flushTimer: ReturnType<typeof setImmediate> | undefined;
    let holdTimer: ReturnType<typeof setTimeout> | undefined;
    let cursor = since;

    const answer = (reset?: { reason: string; latest: string }) => {
      if (answered) return;
      answered = true;
      clearTimeout(holdTimer);
      if (flushTimer) clearImmediate(flushTimer);
      core.detach(subscriber);
      this.pending.delete(answerEmpty);
      const last = events.at(-1)?.id ?? reset?.latest ?? cursor;
      sendJson(
        res,
        200,
        {
          events: events.map(({ id, topic, data }) => ({ id, topic, data })),
          cursor: last,
          ...(reset ? { reset: { reason: reset.reason } } : {}),
        },
        corsHeaders(req),
      );
    };
    const answerEmpty = () => answer();
    const subscriber = new Subscriber(topics, (event) => {
      events.push(event);
      // Answer on the next turn, so events published together travel together.
      flushTimer ??= setImmediate(() => answer());
    });
    core.attach(subscriber);
    this.pending.add(answerEmpty);
    req.on('close', () => {
      if (!answered && !res.writableEnded) {
        answered = true;
        clearTimeout(holdTimer);
        core.detach(subscriber);
        this.pending.delete(answerEmpty);
      }
    });
    try {
      // The starting cursor itself, not a later "latest": events after it are in `events`.
      const reset = await subscriber.start(core.store, since, (latest) => (cursor = latest));
      if (reset) return answer(reset);
      if (events.length) return;
      // A poll without a cursor answers at once with one: a drop while holding it would
      // otherwise leave the client with no cursor, and a gap.
      if (core.closing || hold === 0 || !since) return answer();
      holdTimer = setTimeout(answerEmpty, hold);
    } catch (error) {
      answered = true;
      core.detach(subscriber);
      this.pending.delete(answerEmpty);
      this.fail(req, res, error);
    }
  }
}
