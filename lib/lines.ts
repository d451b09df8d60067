/** Reading lines from the terminal or a pipe, as Python's `input()` does, with a bound. @module */
import { TextLineStream } from "@std/streams/text-line-stream";

/**
 * Yields each line of `readable` without its `\n` (or `\r\n`). A last line without a newline is
 * yielded too. Ends at EOF. The splitting is std's `TextLineStream`; what this adds is the bound.
 */
export async function* readLines(
  readable: ReadableStream<Uint8Array>,
  maxLineBytes = 1 << 20,
): AsyncGenerator<string> {
  // TextLineStream keeps an unfinished line whole, however long: stop a line past the bound.
  let sinceNewline = 0;
  const bound = new TransformStream<string, string>({
    transform(text, controller) {
      const nl = text.lastIndexOf("\n");
      sinceNewline = nl < 0 ? sinceNewline + text.length : text.length - nl - 1;
      if (sinceNewline > maxLineBytes) {
        throw new RangeError(`a line is longer than ${maxLineBytes} bytes`);
      }
      controller.enqueue(text);
    },
  });
  yield* readable.pipeThrough(new TextDecoderStream()).pipeThrough(bound)
    .pipeThrough(new TextLineStream());
}

/**
 * The clients' input loop, like Python's `input(prompt)` in a loop: the prompt is shown only
 * when a person is typing (stdin is a terminal), so piped input produces only the answers. Ends
 * quietly at EOF (Ctrl-D, or the end of a pipe), where the originals ended in a traceback.
 */
export async function forEachInputLine(
  prompt: string,
  handle: (line: string) => Promise<void>,
): Promise<void> {
  const shown = new TextEncoder().encode(Deno.stdin.isTerminal() ? prompt : "");
  Deno.stdout.writeSync(shown);
  for await (const line of readLines(Deno.stdin.readable)) {
    await handle(line);
    Deno.stdout.writeSync(shown);
  }
}
