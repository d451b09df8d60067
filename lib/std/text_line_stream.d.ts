/** Splits a stream of text into lines, at `\n` or `\r\n` (and `\r` with `allowCR`). */
export class TextLineStream extends TransformStream<string, string> {
  /**
   * Makes the stream.
   *
   * @param options `allowCR`: a lone `\r` ends a line too
   */
  constructor(options?: { allowCR?: boolean });
}
