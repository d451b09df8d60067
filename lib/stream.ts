/**
 * Reading and writing TCP streams the way the documents teach, without their traps.
 *
 * A stream has no message boundaries: one `write()` of 100 bytes may arrive as three `read()`s,
 * and one `write()` may send only part of its buffer. So the documents loop: `sendall` writes
 * until every byte is gone, `recv_all` reads until exactly N bytes arrived. Here are the same
 * loops, with a limit wherever the peer controls the size and a timeout wherever it controls the
 * pace.
 *
 * Deno cannot cancel a pending `read()`: a read abandoned after a timeout still takes the next
 * chunk, which is then lost. {@link TimedReader} keeps that one pending read and races it again,
 * so a timeout never loses data.
 *
 * @module
 */

/** The peer closed the stream before sending all the bytes a protocol needs. */
export class IncompleteReadError extends Error {
  /**
   * Makes the error.
   *
   * @param received how many bytes arrived before EOF
   * @param expected how many were needed
   * @param partial the bytes that did arrive
   */
  constructor(readonly received: number, readonly expected: number, readonly partial: Uint8Array) {
    super(`the peer closed the connection after ${received} of ${expected} bytes`);
    this.name = "IncompleteReadError";
  }
}

/** The peer sent more than the limit allows. */
export class TooLargeError extends Error {
  /**
   * Makes the error.
   *
   * @param limit the most bytes allowed
   */
  constructor(readonly limit: number) {
    super(`the peer sent more than ${limit} bytes`);
    this.name = "TooLargeError";
  }
}

/** The peer said nothing for too long. */
export class ReadTimeoutError extends Deno.errors.TimedOut {
  /**
   * Makes the error.
   *
   * @param ms how long we waited
   */
  constructor(readonly ms: number) {
    super(`the peer sent nothing for ${ms / 1000} s`);
    this.name = "ReadTimeoutError";
  }
}

/** The peer took none of our bytes for too long: it stopped reading (or its network did). */
export class WriteTimeoutError extends Deno.errors.TimedOut {
  /**
   * Makes the error.
   *
   * @param ms how long the write waited
   */
  constructor(readonly ms: number) {
    super(`the peer read nothing for ${ms / 1000} s`);
    this.name = "WriteTimeoutError";
  }
}

/** Something that reads like a `Deno.Conn`. */
export interface Reader {
  /** Reads into `p`; resolves to the count, or `null` at EOF. */
  read(p: Uint8Array): Promise<number | null>;
}

/** Something that writes like a `Deno.Conn`. */
export interface Writer {
  /** Writes some of `p`; resolves to how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
}

/**
 * `sendall`: writes every byte of `data`, looping over partial writes. With `timeoutMs`, a write
 * that makes no progress for that long throws {@link WriteTimeoutError}: a peer that sends but
 * never reads fills both socket buffers, and without it the writer would wait forever (then
 * close the connection, which ends the pending write).
 *
 * @param w the connection
 * @param data the bytes
 * @param timeoutMs the longest one write may wait (default: no limit)
 */
export async function writeAll(w: Writer, data: Uint8Array, timeoutMs?: number): Promise<void> {
  for (let off = 0; off < data.length;) {
    off += await withTimeout(w.write(data.subarray(off)), timeoutMs, WriteTimeoutError);
  }
}

/**
 * Reads from a connection with a timeout on each read, owning one buffer. On timeout the read
 * stays pending and the next call continues it, so no bytes are ever lost.
 */
export class TimedReader {
  #r: Reader;
  #buf: Uint8Array;
  #pending: Promise<number | null> | undefined;
  #full = false;

  #max: number;

  /**
   * Wraps a connection.
   *
   * @param r the connection
   * @param bufferSize the most bytes one read returns (default 64 KiB)
   * @param maxBufferSize grow up to this when reads keep filling the buffer (a bulk transfer):
   * fewer, larger reads cost less CPU per byte, while a small exchange keeps a small buffer
   */
  constructor(r: Reader, bufferSize = 64 * 1024, maxBufferSize = bufferSize) {
    this.#r = r;
    this.#buf = new Uint8Array(bufferSize);
    this.#max = Math.max(bufferSize, maxBufferSize);
  }

  /**
   * The next chunk, as a view of the reader's buffer (valid until the next call), or `null` at
   * EOF. Throws {@link ReadTimeoutError} if nothing arrives within `timeoutMs`.
   *
   * @param timeoutMs how long to wait (`Infinity`: no timeout)
   * @param max read at most this many bytes (default: the buffer's size)
   */
  async read(timeoutMs = Infinity, max?: number): Promise<Uint8Array | null> {
    if (this.#pending === undefined) {
      // The previous chunk (a view of the buffer) is done with; a full read means more waits.
      if (this.#full && this.#buf.length < this.#max) {
        this.#buf = new Uint8Array(Math.min(this.#buf.length * 2, this.#max));
      }
      this.#pending = this.#r.read(
        this.#buf.subarray(0, Math.min(max ?? Infinity, this.#buf.length)),
      );
      this.#pending.catch(() => {}); // handled below or abandoned with a closed connection
    }
    const pending = this.#pending;
    let n: number | null;
    if (timeoutMs === Infinity) {
      n = await pending.catch((err) => {
        this.#pending = undefined; // the read failed: the connection is done
        throw err;
      });
    } else {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((res) =>
        timer = setTimeout(res, timeoutMs, "timeout")
      );
      let got: number | null | "timeout";
      try {
        got = await Promise.race([pending, timeout]);
      } catch (err) {
        this.#pending = undefined; // the read failed: the connection is done
        throw err;
      } finally {
        clearTimeout(timer);
      }
      // On timeout the read stays pending: the next call takes its bytes.
      if (got === "timeout") throw new ReadTimeoutError(timeoutMs);
      n = got;
    }
    // Only the call that receives the result clears it; a timed-out call never does.
    this.#pending = undefined;
    this.#full = n === this.#buf.length;
    return n === null ? null : this.#buf.subarray(0, n);
  }
}

/** Limits for the read helpers. */
export interface ReadOptions {
  /** Timeout for each read, in ms (default: none). */
  timeoutMs?: number;
}

/**
 * Races `p` against a timer: resolves as `p` does, or throws `error` ({@link ReadTimeoutError}
 * unless told otherwise) after `timeoutMs`. The timer is always cleared. A read that loses the race is still pending: close
 * the connection (as the helpers below expect their callers to do after a timeout), or use
 * {@link TimedReader}, which continues it.
 *
 * @param p the operation
 * @param timeoutMs the limit (`undefined` or `Infinity`: none)
 * @param error the error class to throw on timeout, made with the limit in ms
 * @returns what `p` resolves to
 */
export async function withTimeout<T>(
  p: Promise<T>,
  timeoutMs?: number,
  error: new (ms: number) => Error = ReadTimeoutError,
): Promise<T> {
  if (timeoutMs === undefined || timeoutMs === Infinity) return await p;
  p.catch(() => {}); // if the timer wins, a later failure of p is not unhandled
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new error(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `recv_all(sock, n)`: reads exactly `n` bytes, straight into the result. Throws
 * {@link IncompleteReadError} (saying how many arrived) if the peer closes first, and
 * {@link ReadTimeoutError} if a read waits longer than `timeoutMs` (then close the connection).
 * Bytes after the `n`th are not read.
 *
 * @param r the connection
 * @param n how many bytes
 * @param options per-read timeout
 * @returns exactly `n` bytes
 */
export async function readExactly(
  r: Reader,
  n: number,
  options: ReadOptions = {},
): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const count = await withTimeout(r.read(out.subarray(got)), options.timeoutMs);
    if (count === null) throw new IncompleteReadError(got, n, out.slice(0, got));
    got += count;
  }
  return out;
}

/**
 * Reads until EOF (the peer's `shutdown(SHUT_WR)` or close), refusing more than `limit` bytes.
 * Reads go straight into one growing buffer: no copy per chunk.
 *
 * @param r the connection
 * @param limit the most bytes accepted (a longer stream throws {@link TooLargeError})
 * @param options per-read timeout (then close the connection)
 * @returns everything the peer sent
 */
export async function readToEnd(
  r: Reader,
  limit: number,
  options: ReadOptions = {},
): Promise<Uint8Array> {
  let buf = new Uint8Array(Math.min(64 * 1024, limit + 1));
  let len = 0;
  while (true) {
    if (len === buf.length) {
      // One byte beyond the limit is room enough to notice a peer that sends too much.
      const bigger = new Uint8Array(Math.min(buf.length * 2, limit + 1));
      bigger.set(buf);
      buf = bigger;
    }
    const n = await withTimeout(r.read(buf.subarray(len)), options.timeoutMs);
    if (n === null) return buf.subarray(0, len);
    len += n;
    if (len > limit) throw new TooLargeError(limit);
  }
}

/**
 * Reads until `delimiter` appears (e.g. `\r\n\r\n` after HTTP headers), refusing more than
 * `limit` bytes before it. Returns what came before the delimiter and what was read after it
 * (a stream may deliver both in one chunk).
 *
 * @param r the connection
 * @param delimiter the bytes that end the part wanted
 * @param limit the most bytes allowed before the delimiter ends ({@link TooLargeError})
 * @param options per-read timeout
 * @returns `head` (without the delimiter) and `rest`; `null` if EOF came first, with the bytes
 */
export async function readUntil(
  r: Reader,
  delimiter: Uint8Array,
  limit: number,
  options: ReadOptions = {},
): Promise<{ head: Uint8Array; rest: Uint8Array } | { head: null; partial: Uint8Array }> {
  // Never read past limit + delimiter: the peer cannot make us hold more than that.
  const cap = limit + delimiter.length;
  let buf = new Uint8Array(Math.min(4096, cap));
  let len = 0;
  while (true) {
    if (len === buf.length) {
      if (len >= cap) throw new TooLargeError(limit);
      const bigger = new Uint8Array(Math.min(buf.length * 2, cap));
      bigger.set(buf);
      buf = bigger;
    }
    const n = await withTimeout(r.read(buf.subarray(len)), options.timeoutMs);
    if (n === null) return { head: null, partial: buf.slice(0, len) };
    // Search only where the delimiter could newly appear: it may straddle two reads.
    const from = Math.max(0, len - delimiter.length + 1);
    len += n;
    const at = indexOf(buf.subarray(0, len), delimiter, from);
    if (at >= 0) return { head: buf.slice(0, at), rest: buf.slice(at + delimiter.length, len) };
  }
}

/**
 * Finds `needle` in `haystack` from `from`.
 *
 * @returns the index, or -1
 */
export function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0];
  const last = haystack.length - needle.length;
  outer: for (
    let i = haystack.indexOf(first, from);
    i >= 0 && i <= last;
    i = haystack.indexOf(first, i + 1)
  ) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Joins chunks into one array.
 *
 * @param chunks the parts
 * @param total their summed length, if known
 */
export function concat(
  chunks: Uint8Array[],
  total = chunks.reduce((n, c) => n + c.length, 0),
): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * `shutdown(SHUT_WR)`: tells the peer "I am done sending" (it reads EOF) while this side can
 * still read the reply. Ignores a connection the peer already closed.
 *
 * @param conn the connection
 */
export async function closeWrite(conn: Deno.Conn): Promise<void> {
  try {
    await conn.closeWrite();
  } catch (err) {
    if (!(err instanceof Deno.errors.NotConnected || err instanceof Deno.errors.BadResource)) {
      throw err;
    }
  }
}

/**
 * A graceful close after the reply: send FIN (`shutdown(SHUT_WR)`), then read and discard what
 * the peer still sends, bounded in bytes and time, before closing. Closing a socket with unread
 * bytes in its receive buffer makes the kernel send a reset (RST) instead of FIN, and a reset
 * can destroy the reply before the peer reads it.
 *
 * @param conn the connection (closed on return)
 * @param limit the most bytes to discard (default 64 KiB)
 * @param timeoutMs how long to wait for the peer's EOF (default 1 s)
 */
export async function lingeringClose(conn: Deno.Conn, limit = 64 * 1024, timeoutMs = 1000) {
  try {
    await closeWrite(conn);
    const sink = new Uint8Array(16 * 1024);
    const deadline = performance.now() + timeoutMs;
    for (let seen = 0; seen <= limit && performance.now() < deadline;) {
      const n = await withTimeout(conn.read(sink), deadline - performance.now());
      if (n === null || n === 0) break;
      seen += n;
    }
  } catch {
    // a timeout, a reset: we are closing anyway
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}
