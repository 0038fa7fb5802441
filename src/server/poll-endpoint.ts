import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HubCore } from './core.js';
import { corsHeaders, sendJson } from './http.js';
import { closeWithAnswer } from './drain.js';
import { HttpEndpoint } from './http-endpoint.js';
import { Subscriber, type SubscriberReset } from './subscriber.js';
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
    const presence = this.presence(res);
    const admitted = await this.admitSubscriber(req, res);
    if (!admitted || presence.gone) return;
    const { url, topics, grant, rewind } = admitted;
    const since = url.searchParams.get('since') || undefined;
    const asked = Number(url.searchParams.get('timeout'));
    const hold = Math.min(
      core.options.pollTimeout,
      asked >= 0 && url.searchParams.has('timeout') ? asked : core.options.pollTimeout,
    );
    const events: HubEvent[] = [];
    let started = false;
    let done = false;
    let flushTimer: ReturnType<typeof setImmediate> | undefined;
    let holdTimer: ReturnType<typeof setTimeout> | undefined;
    let cursor = since;
    /** Topics `hub.unsubscribe` removed from this poll. */
    const dropped: string[] = [];

    /** Releases everything this poll holds; true the first time only. */
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(holdTimer);
      if (flushTimer) clearImmediate(flushTimer);
      core.detach(subscriber);
      this.pending.delete(answerEmpty);
      untrack();
      return true;
    };
    /** `eventsFollow`: the reset came first and `events` go on from it (a start's reset). */
    const answer = (reset?: SubscriberReset, eventsFollow = false) => {
      if (!finish()) return;
      core.metrics?.delivered('poll', events.length);
      if (reset) core.metrics?.reset(reset.reason);
      const last = eventsFollow
        ? (events.at(-1)?.id ?? reset!.latest)
        : (reset?.latest ?? events.at(-1)?.id ?? cursor);
      sendJson(
        res,
        200,
        {
          events: events.map(({ id, topic, data }) => ({ id, topic, data })),
          cursor: last,
          ...(dropped.length ? { unsubscribed: dropped } : {}),
          ...(reset
            ? { reset: { reason: reset.reason, ...(reset.topics ? { topics: reset.topics } : {}) } }
            : {}),
        },
        corsHeaders(req),
      );
    };
    const answerEmpty = () => answer();
    const subscriber = new Subscriber(topics, (event) => {
      events.push(event);
      // Answer on the next turn, so events published together travel together — but not
      // before the start is complete (its replay is delivered in the same turn).
      if (started) flushTimer ??= setImmediate(() => answer());
    });
    // A reset answers at once with what came before it; the events after it are the next
    // poll's (its cursor is the reset's id).
    // A start's reset (of the cursor) travels with the events that follow it: a `too-old` of some
    // topics goes on from the cursor itself, and answering it alone would answer it forever.
    let startReset: SubscriberReset | undefined;
    subscriber.onReset = (reset) => (started ? answer(reset) : (startReset = reset));
    // Registered in the same turn as the check above: no await in between, so no ghost.
    core.attach(subscriber);
    // Expired: answered with what it has (the next poll renews its credentials on the 401).
    // Disconnected (`hub.disconnect`): 401, as for credentials that are no longer good.
    const untrack = core.track(
      { transport: 'poll', req, ...grant },
      (reason) => {
        // Draining: answered now, on a connection that then closes (the next poll goes elsewhere).
        if (reason === 'drain' && !res.headersSent) closeWithAnswer(req, res);
        if (reason === 'expired' || reason === 'drain') return answerEmpty();
        if (!finish()) return;
        const message = 'The hub ended this client (hub.disconnect).';
        sendJson(res, 401, { error: 'unauthorized', message }, corsHeaders(req));
      },
      // `hub.unsubscribe`: the answer names the topics (`unsubscribed`); a poll left with none
      // is answered at once. Events of them already taken stay in it (they precede the removal).
      (drop) => {
        const gone = [...subscriber.topics].filter((topic) => drop.has(topic));
        if (!gone.length || done) return false;
        core.detach(subscriber);
        for (const topic of gone) subscriber.topics.delete(topic);
        core.attach(subscriber);
        dropped.push(...gone);
        if (!subscriber.topics.size && started) answerEmpty();
        return true;
      },
    );
    this.pending.add(answerEmpty);
    res.once('close', finish);
    try {
      // The starting cursor itself, not a later "latest": events after it are in `events`.
      await subscriber.start(core.store, since, (latest) => (cursor = latest), {
        rewind,
        max: core.options.maxReplay,
      });
      started = true;
      if (startReset) return answer(startReset, true);
      if (done || events.length) return answer();
      // A poll without a cursor answers at once with one: a drop while holding it would
      // otherwise leave the client with no cursor, and a gap.
      if (core.closing || hold === 0 || !since || !subscriber.topics.size) return answer();
      holdTimer = setTimeout(answerEmpty, hold);
    } catch (error) {
      if (finish()) this.fail(req, res, core.unavailable(error));
    }
  }
}
