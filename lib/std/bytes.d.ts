/** One new array holding every array of `buffers`, in order. */
export function concat(buffers: readonly Uint8Array[]): Uint8Array<ArrayBuffer>;
/** Where `needle` first occurs in `source` at or after `start`, or -1. */
export function indexOfNeedle(source: Uint8Array, needle: Uint8Array, start?: number): number;
