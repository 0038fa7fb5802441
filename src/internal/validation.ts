/**
 * The Standard Schema interface (https://standardschema.dev, v1), copied as its authors
 * recommend so no dependency is needed: zod (3.24+), valibot (1.0+) and arktype implement it.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** One problem a validator found (Standard Schema's `Issue`). */
export interface ValidationIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<ValidationIssue> };

/**
 * What `validate` takes: a Standard Schema, or a function that returns the (possibly
 * transformed) value — or a promise of it — and throws (rejects) when the value is invalid.
 */
export type Validator<T = unknown> =
  StandardSchemaV1<unknown, T> | ((value: unknown) => T | PromiseLike<T>);

/** The outcome of one check: the value to deliver, or the issues (and what was thrown). */
export type Checked =
  | { value: unknown; issues?: undefined }
  | { issues: ReadonlyArray<ValidationIssue>; cause?: unknown };

/**
 * What a validator threw, as an issue. A validator may throw anything: `null`, an object with
 * no string form (`Object.create(null)`), one whose `message` getter or `toString` throws.
 */
function thrown(cause: unknown): Checked {
  let message = 'validate threw';
  try {
    message = String((cause as Error | null)?.message ?? cause);
  } catch {
    // No readable message: the generic one, and the value itself in `cause`.
  }
  return { issues: [{ message }], cause };
}

/** A promise of any realm or library; a plain object with a `then` field is data. */
const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * Runs a validator: synchronously when it answers synchronously, else a promise. Never throws.
 * Only the validator's answer is awaited, never the value it returns inside a Standard Schema
 * result: a message `{ "then": "soon" }` is data.
 */
export function check(validate: Validator, raw: unknown): Checked | Promise<Checked> {
  try {
    if (typeof validate === 'function') {
      const value = validate(raw);
      return isThenable(value)
        ? Promise.resolve(value).then((value): Checked => ({ value }), thrown)
        : { value };
    }
    const result = validate['~standard'].validate(raw);
    return isThenable(result)
      ? Promise.resolve(result).then((result) => result as Checked, thrown)
      : (result as Checked);
  } catch (cause) {
    return thrown(cause);
  }
}
