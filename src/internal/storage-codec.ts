/** How `<storage-sync>` turns values into storage strings and back, per `type`. */
export type StorageValueType = 'json' | 'text' | 'number' | 'boolean';

export const storageValueTypes: readonly StorageValueType[] = ['json', 'text', 'number', 'boolean'];

export class ParseError extends Error {}

/** The JavaScript type each plain `type` stores (`json` stores any JSON value). */
const plain: Record<string, string> = { text: 'string', number: 'number', boolean: 'boolean' };

/** Parses a stored string; throws `ParseError` when it is not valid for `type`. */
export function decode(raw: string, type: StorageValueType): unknown {
  if (type === 'text') return raw;
  if (type === 'json') {
    try {
      return JSON.parse(raw);
    } catch (error) {
      throw new ParseError((error as Error).message);
    }
  }
  const value =
    type === 'number'
      ? raw.trim()
        ? Number(raw)
        : NaN
      : raw === 'true' || (raw === 'false' ? false : NaN);
  if (Number.isNaN(value)) throw new ParseError(`"${raw}" is not a ${type}`);
  return value;
}

/** Serialises a value for storage; throws a `TypeError` naming the problem when it cannot. */
export function encode(value: unknown, type: StorageValueType): string {
  if (type !== 'json') {
    if (typeof value !== plain[type] || Number.isNaN(value))
      throw new TypeError(`type="${type}" stores a ${plain[type]}, not ${String(value)}`);
    return String(value);
  }
  let raw: string | undefined;
  try {
    raw = JSON.stringify(value);
  } catch (error) {
    // Cycles and BigInt: JSON cannot represent them.
    throw new TypeError(`Not JSON: ${(error as Error).message}`);
  }
  if (raw === undefined) throw new TypeError(`Not JSON: ${typeof value}`);
  return raw;
}
