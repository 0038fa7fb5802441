import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubError, type HubCore } from './core.js';
import { corsHeaders, sendJson } from './http.js';
import { HttpEndpoint } from './http-endpoint.js';

/**
 * `GET <basePath>/health`, for load balancers and rolling deploys: `200 {"status":"ok"}` when
 * the hub accepts publishes and its store answers, else `503` with `Retry-After` and the code
 * (`closing`, `unavailable`, `draining` from the moment `hub.drain` is called). No origin check: it tells nothing about topics.
 */
export class HealthEndpoint extends HttpEndpoint {
  constructor(
    core: HubCore,
    private readonly stats: () => Record<string, number>,
    /** How long the store may take to answer, ms. */
    private readonly timeout = 2000,
  ) {
    super(core);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const core = this.core;
    try {
      core.assertAdmitting();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${this.timeout} ms`)),
          this.timeout,
        );
      });
      try {
        await Promise.race([core.store.latestId(), late]);
      } catch (error) {
        throw core.unavailable(error);
      } finally {
        clearTimeout(timer);
      }
      core.assertOpen();
      sendJson(res, 200, { status: 'ok', ...this.stats() }, corsHeaders(req));
    } catch (error) {
      this.fail(req, res, error instanceof HubError ? error : core.unavailable(error));
    }
  }
}
