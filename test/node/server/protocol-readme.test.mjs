// README's WebSocket protocol tables are checked against the one protocol definition
// (src/internal/protocol.ts) and a real hub's hello, so the docs cannot drift from the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  clientFrameTypes,
  closeCodes,
  errorCodes,
  hubFrameTypes,
} from '../../../dist/internal/protocol.js';
import { openWs, startHub, until } from './hub-helpers.mjs';

const readme = readFileSync('README.md', 'utf8');
const section = readme.slice(
  readme.indexOf('**WebSocket** — `ws://host/realtime/ws`'),
  readme.indexOf('### Deployment: several hub processes with Redis'),
);
const tableRows = (text) =>
  text
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line))
    .slice(1)
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
const typesIn = (cells) =>
  new Set(cells.flatMap((cell) => [...cell.matchAll(/\{"type":"([a-z]+)"/g)].map((m) => m[1])));
const sorted = (values) => [...values].sort();

test('the frame table lists exactly the frame types of the protocol module', () => {
  const table = section.slice(0, section.indexOf('**The hello.**'));
  const rows = tableRows(table);
  assert.deepEqual(sorted(typesIn(rows.map((r) => r[0]))), sorted(clientFrameTypes));
  assert.deepEqual(sorted(typesIn(rows.map((r) => r[1]))), sorted(hubFrameTypes));
  const errorRow = rows.find((r) => r[1].includes('{"type":"error"'));
  const listed = [...errorRow[1].split('—')[1].matchAll(/`([a-z-]+)`/g)].map((m) => m[1]);
  assert.deepEqual(sorted(listed), sorted(errorCodes));
});

test('the close-code table lists exactly the close codes of the protocol module', () => {
  const table = section.slice(section.indexOf('Close codes:'));
  const codes = tableRows(table).map((r) => Number(r[0]));
  assert.deepEqual(
    codes,
    Object.values(closeCodes).sort((a, b) => a - b),
  );
});

test("the hello example has the fields and default limits of a real hub's hello", async () => {
  const example = JSON.parse(/\*\*The hello\.\*\*[^`]*```json\n([\s\S]*?)```/.exec(section)[1]);
  const h = await startHub();
  try {
    const client = await openWs(h.url('/ws').replace('http', 'ws'));
    await until(() => client.frames.length >= 1);
    const hello = client.frames[0];
    assert.deepEqual(sorted(Object.keys(example)), sorted(Object.keys(hello)));
    assert.deepEqual(example.limits, hello.limits);
    assert.equal(example.version, hello.version);
    assert.equal(example.publisher.length, hello.publisher.length);
    client.socket.close();
  } finally {
    await h.close();
  }
});
