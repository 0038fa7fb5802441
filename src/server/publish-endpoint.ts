import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubError, type HubCore } from './core.js';
import { BodyTooLarge, corsHeaders, readBody, requestUrl, sendJson, topicsOf } from './http.js';
import { HttpEndpoint } from './http-endpoint.js';

/** `POST <basePath>/publish?topic=…`: a JSON body in, the stored event's id out. */
export class PublishEndpoint extends HttpEndpoint {
  constructor(core: HubCore) {
    super(core);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const core = this.core;
    if (!this.admit(req, res)) return;
    try {
      const topic = topicsOf(requestUrl(req))[0];
      let body: string;
      try {
        body = await readBody(req, core.options.maxPayload);
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          res.setHeader('Connection', 'close');
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
      const event = await core.publish(topic, data, { req });
      sendJson(res, 200, { id: event.id }, corsHeaders(req));
    } catch (error) {
      this.fail(req, res, error);
    }
  }
}
