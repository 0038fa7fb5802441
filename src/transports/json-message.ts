/**
 * The storage and cookie transports carry JSON text. A value is carried only when it
 * round-trips through JSON unchanged — `null`, booleans, strings, finite numbers other than
 * `-0`, arrays without holes and plain objects of those — otherwise `postMessage` throws
 * `DataCloneError`, the error `BroadcastChannel` gives for data it cannot carry, and nothing is
 * sent (a `Map`, `Date`, `undefined`, `NaN` or class instance would otherwise arrive changed).
 */

const refuse = (path: string, what: string) =>
  new DOMException(
    `This transport carries JSON: ${what} at ${path} would not arrive unchanged.`,
    'DataCloneError',
  );

function check(value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value) || Object.is(value, -0)) throw refuse(path, String(value));
      return;
    case 'object':
      if (value === null) return;
      break;
    default:
      throw refuse(path, typeof value);
  }
  if (seen.has(value)) throw refuse(path, 'a cycle');
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw refuse(`${path}[${i}]`, 'a hole');
      check(value[i], `${path}[${i}]`, seen);
    }
  } else {
    const proto = Object.getPrototypeOf(value) as object | null;
    // Plain objects of any realm (an iframe's too); Map, Date, Blob and class instances are not.
    if (
      Object.prototype.toString.call(value) !== '[object Object]' ||
      (proto !== null && Object.getPrototypeOf(proto) !== null)
    ) {
      throw refuse(path, `a ${(value as object).constructor?.name ?? 'special object'}`);
    }
    for (const key of Object.keys(value)) {
      check((value as Record<string, unknown>)[key], `${path}.${key}`, seen);
    }
  }
  seen.delete(value);
}

/** JSON text of `value`, or `DataCloneError` when JSON would not carry it unchanged. */
export function toJson(value: unknown): string {
  check(value, 'the message', new Set());
  return JSON.stringify(value);
}
