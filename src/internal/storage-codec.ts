/** How `<storage-sync>` turns values into storage strings and back, per `type`. */
export type StorageValueType = 'json' | 'text' | 'number' | 'boolean';

export const storageValueTypes: readonly StorageValueType[] = ['json', 'text', 'number', 'boolean'];

export class ParseError extends Error {}

/** Parses a stored string; throws `ParseError` when it is not valid for `type`. */
export function decode(raw: string, type: StorageValueType): unknown {
  switch (type) {
    case 'text':
      return raw;
    case 'number': {
      const value = raw.trim() === '' ? NaN : Number(raw);
      if (Number.isNaN(value)) throw new ParseError(`"${raw}" is not a number`);
      return value;
    }
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw new ParseError(`"${raw}" is not true or false`);
    default:
      try {
        return JSON.parse(raw);
      } catch (error) {
        throw new ParseError((error as Error).message);
      }
  }
}

/** Serialises a value for storage; throws a `TypeError` naming the problem when it cannot. */
export function encode(value: unknown, type: StorageValueType): string {
  switch (type) {
    case 'text':
      if (typeof value !== 'string')
        throw new TypeError(`type="text" stores strings, not ${typeof value}`);
      return value;
    case 'number':
      if (typeof value !== 'number' || Number.isNaN(value)) {
        throw new TypeError(`type="number" stores numbers, not ${String(value)}`);
      }
      return String(value);
    case 'boolean':
      if (typeof value !== 'boolean')
        throw new TypeError(`type="boolean" stores true or false, not ${String(value)}`);
      return String(value);
    default: {
      let raw: string | undefined;
      try {
        raw = JSON.stringify(value);
      } catch (error) {
        // Cycles and BigInt: JSON cannot represent them.
        throw new TypeError(`The value cannot be stored as JSON: ${(error as Error).message}`);
      }
      if (raw === undefined)
        throw new TypeError(`The value cannot be stored as JSON: ${typeof value}`);
      return raw;
    }
  }
}
