/**
 * A `node --test` reporter that sums the time of each file's top-level tests and writes one JSON
 * object `{ file: seconds }` at the end (a dev tool for keeping `npm test` under 10 minutes):
 * `node --test --test-reporter=spec --test-reporter-destination=stdout
 *  --test-reporter=./test/node/file-times-reporter.mjs --test-reporter-destination=/tmp/n.json …`
 */
import { relative } from 'node:path';

export default async function* fileTimes(source) {
  const times = {};
  for await (const { type, data } of source) {
    if ((type !== 'test:pass' && type !== 'test:fail') || data.nesting !== 0 || !data.file)
      continue;
    const file = relative(process.cwd(), data.file);
    times[file] = (times[file] ?? 0) + data.details.duration_ms / 1000;
  }
  yield `${JSON.stringify(times, null, 1)}\n`;
}
