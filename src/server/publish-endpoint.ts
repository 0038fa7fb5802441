import type { IncomingMessage, ServerResponse } from 'node:http';
import { badTopic, HubError, noTopic, type HubCore } from './core.js';
import { BodyTooLarge, corsHeaders, readBody, requestUrl, sendJson, topicsOf } from './http.js';
import { HttpEndpoint } from './http-endpoint.js';
import { Http2Request } from './http2.js';

/**
 * `POST <basePath>/publish?topic=…`: a JSON body in, the stored event's id out. Several topics
 * (`?topic=a&topic=b` or `?topic=a%20b`, as for subscribing) each get the value as their own
 * event: `{ "id": <the last one>, "ids": [<one per topic, in order>] }`.
 */
export class PublishEndpoint extends HttpEndpoint {
  constructor(core: HubCore) {
    super(core);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const core = this.core;
    const presence = this.presence(res);
    if (!this.admit(req, res)) return;
    try {
      core.assertOpen();
      const { topics, bad } = topicsOf(requestUrl(req));
      if (bad) throw badTopic(bad.topic, bad.within);
      if (!topics.length) throw noTopic();
      let body: string;
      try {
        body = await readBody(req, core.options.maxPayload);
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          // HTTP/2 has no `Connection`: dropping the request (below) resets only its stream.
          if (!Http2Request.is(req)) res.setHeader('Connection', 'close');
          res.once('finish', () => req.destroy());
          throw new HubError(
            'too-large',
            `Data is larger than ${core.options.maxPayload} bytes.`,
            413,
          );
        }
        throw error;
      }
      let data: unknown;
      try {
        data = JSON.parse(body);
      } catch {
        throw new HubError('bad-data', 'The body is not JSON.', 400);
      }
      const key = req.headers['idempotency-key'];
      const events = await core.publishMany(topics, data, {
        req,
        via: 'http',
        gone: () => presence.gone,
        ...(typeof key === 'string' ? { idempotencyKey: key } : {}),
      });
      const ids = events.map((event) => event.id);
      sendJson(res, 200, { id: ids.at(-1), ids }, corsHeaders(req));
    } catch (error) {
      if (!presence.gone) this.fail(req, res, error);
    }
  }
}
