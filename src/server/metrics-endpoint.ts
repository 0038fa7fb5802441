import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubError, type HubCore } from './core.js';
import { HttpEndpoint } from './http-endpoint.js';
import type { HubMetrics } from './metrics.js';

/**
 * `GET <basePath>/metrics` (with the `metrics` option): the registry in Prometheus text format.
 * Like `/health` it has no origin check and names no topic, user or token — only counts — and it
 * sends no CORS headers, so no page of another origin can read it. Keep it off the public
 * internet all the same (a proxy rule, or `endpoint: false` and your own internal route).
 * `503 metrics-unavailable` when prom-client is not installed.
 */
export class MetricsEndpoint extends HttpEndpoint {
  constructor(
    core: HubCore,
    private readonly metrics: HubMetrics,
  ) {
    super(core);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const { contentType, body } = await this.metrics.scrape();
      res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
      res.end(body);
    } catch (error) {
      this.fail(
        req,
        res,
        new HubError(
          'metrics-unavailable',
          `Metrics need the prom-client package: ${(error as Error)?.message ?? error}`,
          503,
        ),
      );
    }
  }
}
