/** Throws an AssertionError (with `msg`) unless `expr` is truthy; narrows its type. */
export function assert(expr: unknown, msg?: string): asserts expr;

/** Throws unless `actual` and `expected` are deeply equal. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void;

/** Throws unless `actual` and `expected` are not deeply equal. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void;

/** Throws unless `actual` matches `expected`. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void;

/** Throws unless `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void;

/** Resolves with the rejection of `fn()`; fails if it resolves. */
export function assertRejects(fn: () => PromiseLike<unknown>, msg?: string): Promise<unknown>;
/** Resolves with the rejection of `fn()`, which must be an `ErrorClass` (and include `msgIncludes`). */
export function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass: abstract new (...args: any[]) => E,
  msgIncludes?: string,
  msg?: string,
): Promise<E>;

/** Returns what `fn()` throws; fails if it returns. */
export function assertThrows(fn: () => unknown, msg?: string): unknown;
/** Returns what `fn()` throws, which must be an `ErrorClass` (and include `msgIncludes`). */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: abstract new (...args: any[]) => E,
  msgIncludes?: string,
  msg?: string,
): E;

/** Always throws an AssertionError. */
export function fail(msg?: string): never;

/** The error every assertion throws. */
export class AssertionError extends Error {
  /**
   * Makes the error.
   *
   * @param message what failed
   */
  constructor(message: string);
}
