/**
 * Datagram requests that survive loss: send, wait with a timeout, resend with backoff.
 *
 * Deno cannot cancel a pending `DatagramConn.receive()`. A naive timeout, racing a fresh
 * `receive()` against a timer and dropping it on timeout, leaves that receive pending: the next
 * datagram goes to the abandoned promise and is lost. {@link DatagramReceiver} keeps the one
 * pending receive and races it again on the next wait, so a reply that arrives just after a
 * timeout is still delivered.
 *
 * @module
 */
import { hashAddr, type HostPort, hostPort } from "./address.ts";
import { closeQuietly, explain, requireUnstableNet, withContext } from "./errors.ts";
import { flushLog, type Logger, stdoutLogger } from "./log.ts";

/** One datagram and who sent it. */
export interface Datagram {
  /** The payload (its own buffer: safe to keep). */
  data: Uint8Array;
  /** The sender's address. */
  from: Deno.NetAddr;
}

/** Waits for datagrams with a timeout, never losing one to an abandoned receive. */
export class DatagramReceiver {
  #conn: Deno.DatagramConn;
  #pending: Promise<[Uint8Array, Deno.Addr]> | undefined;

  /**
   * Wraps a socket.
   *
   * @param conn the socket to receive on; {@link close} closes it
   */
  constructor(conn: Deno.DatagramConn) {
    this.#conn = conn;
  }

  /**
   * The next datagram, or `null` if none arrives within `timeoutMs`. On timeout the receive
   * stays pending and the next call picks up its datagram.
   *
   * @param timeoutMs how long to wait, in milliseconds
   * @param signal aborts the wait (rejects with the signal's reason)
   * @returns the datagram, or `null` on timeout
   */
  async next(timeoutMs: number, signal?: AbortSignal): Promise<Datagram | null> {
    signal?.throwIfAborted();
    if (this.#pending === undefined) {
      this.#pending = this.#conn.receive();
      this.#pending.catch(() => {}); // observed here or by close(); never unhandled
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<null>((resolve, reject) => {
      timer = setTimeout(() => resolve(null), Math.max(0, timeoutMs));
      onAbort = () => reject(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const got = await Promise.race([this.#pending, stop]);
      if (got === null) return null;
      this.#pending = undefined;
      return { data: got[0], from: got[1] as Deno.NetAddr };
    } catch (err) {
      if (!signal?.aborted) this.#pending = undefined; // the socket failed or was closed
      throw err;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Sends a datagram on the same socket. */
  send(data: Uint8Array, to: Deno.NetAddr): Promise<number> {
    return this.#conn.send(data, to);
  }

  /** The socket's own address. */
  get addr(): Deno.NetAddr {
    return this.#conn.addr as Deno.NetAddr;
  }

  /** Closes the socket; a pending receive ends (its rejection is swallowed). */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Wait times for exponential backoff: `initial`, doubling, while a wait stays within `max`.
 * The defaults are the book's: 0.1, 0.2, 0.4, 0.8, 1.6 s (the next, 3.2 s, exceeds 2.0 s).
 *
 * @param initialMs first wait
 * @param maxMs the largest wait allowed
 * @param factor growth per attempt, above 1 (default 2)
 * @returns the list of waits in milliseconds
 */
export function backoffSchedule(initialMs = 100, maxMs = 2000, factor = 2): number[] {
  if (!(initialMs > 0) || !(factor > 1)) throw new RangeError("backoff: bad initial or factor");
  const waits: number[] = [];
  for (let w = initialMs; w <= maxMs + 1e-9 && waits.length < 64; w *= factor) {
    waits.push(Math.round(w * 1000) / 1000);
  }
  return waits;
}

/** No reply came after every attempt. */
export class NoReplyError extends Error {
  /**
   * Makes the error.
   *
   * @param attempts how many times the request was sent
   * @param peer where it was sent
   */
  constructor(readonly attempts: number, readonly peer: HostPort) {
    super(`no reply from ${hostPort(peer)} after ${attempts} attempt${attempts === 1 ? "" : "s"}`);
    this.name = "NoReplyError";
  }
}

/** Options for {@link request}. */
export interface RequestOptions {
  /** The wait after each send, in ms: one send per entry. Default: one second, three times. */
  waits?: number[];
  /** Called before each wait (attempt counts from 1): print "Waiting up to ...". */
  onAttempt?: (attempt: number, waitMs: number) => void;
  /** Which senders count as the peer. Default: the address the request was sent to. */
  accept?: (from: Deno.NetAddr) => boolean;
  /** Called for a datagram from anyone else, which is ignored. */
  onIgnored?: (d: Datagram) => void;
  /** Aborts the whole request. */
  signal?: AbortSignal;
}

/** The reply and how many sends it took. */
export interface Reply extends Datagram {
  /** 1 for the first send. */
  attempts: number;
}

/**
 * Sends `payload` to `peer` and waits for one reply, resending after each silent wait. A reply to
 * an earlier send that arrives late is taken, not lost. Throws {@link NoReplyError} when every
 * wait passes in silence.
 *
 * @param rx the socket, wrapped
 * @param payload the request
 * @param peer where to send it
 * @param options waits, callbacks, filter, signal
 * @returns the reply
 */
export async function request(
  rx: DatagramReceiver,
  payload: Uint8Array,
  peer: Deno.NetAddr,
  options: RequestOptions = {},
): Promise<Reply> {
  const waits = options.waits ?? [1000, 1000, 1000];
  const accept = options.accept ?? ((from) => sameAddress(from, peer));
  for (let i = 0; i < waits.length; i++) {
    options.onAttempt?.(i + 1, waits[i]);
    await rx.send(payload, peer);
    const deadline = performance.now() + waits[i];
    for (let left = waits[i]; left > 0; left = deadline - performance.now()) {
      const d = await rx.next(left, options.signal);
      if (d === null) break;
      if (accept(d.from)) return { ...d, attempts: i + 1 };
      options.onIgnored?.(d);
    }
  }
  throw new NoReplyError(waits.length, peer);
}

/**
 * Same host and port? An IPv4 peer seen on a dual-stack IPv6 socket (`::ffff:127.0.0.1`) is the
 * same as `127.0.0.1`.
 */
export function sameAddress(a: HostPort, b: HostPort): boolean {
  const norm = (h: string) => h.replace(/^\[|\]$/g, "").replace(/^::ffff:/i, "").toLowerCase();
  return a.port === b.port && norm(a.hostname) === norm(b.hostname);
}

/**
 * Opens a UDP socket, checking first that the unstable API is there.
 *
 * @param hostname the local address (`127.0.0.1`, `::1`, `0.0.0.0`, `::`)
 * @param port the local port (0: the OS picks)
 * @returns the socket
 */
export function listenUdp(hostname: string, port: number): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", hostname, port });
}

/**
 * A socket for talking to `server`, as a client's `socket()` plus the implicit bind of the first
 * `sendto()`: the server's family (an IPv4 socket cannot reach an IPv6 address), port 0 (the OS
 * picks), and a loopback address when the server is on loopback (so `--allow-net=127.0.0.1` is
 * enough), every interface otherwise.
 *
 * @param server the server's address (an IP literal)
 * @returns the socket
 */
export function clientSocketFor(server: HostPort): Deno.DatagramConn {
  const h = server.hostname;
  const local = h === "::1" || h.startsWith("127.") ? h : h.includes(":") ? "::" : "0.0.0.0";
  return listenUdp(local, 0);
}

/**
 * A datagram socket with a fixed peer: what `connect()` on a UDP socket gives in C and Python.
 *
 * For UDP, the kernel's `connect()` sends no packet. It only records the peer: `send()` needs
 * no address, and the kernel drops datagrams from any other address (and reports ICMP errors,
 * such as "port unreachable", on the next call). Deno's datagram socket has no `connect()`, so
 * this class gives the same semantics in user space: a fixed destination, and datagrams from
 * anyone else ignored, and reported to `onIgnored` rather than silently dropped, so a student
 * can see the filter work. (Node's `dgram` `connect()` as emulated by Deno was seen here to
 * deliver such a stray datagram, where real Node drops it.) What it cannot give is the ICMP
 * error: against a closed port the client hears only silence.
 */
export class ConnectedDatagram {
  readonly #rx: DatagramReceiver;
  readonly #onIgnored?: (d: Datagram) => void;

  /**
   * Opens a socket for `peer`.
   *
   * @param peer the fixed peer (an IP literal and a port)
   * @param onIgnored called with each datagram that came from someone else
   */
  constructor(readonly peer: Deno.NetAddr, onIgnored?: (d: Datagram) => void) {
    this.#rx = new DatagramReceiver(clientSocketFor(peer));
    this.#onIgnored = onIgnored;
  }

  /** This socket's own address. */
  get addr(): Deno.NetAddr {
    return this.#rx.addr;
  }

  /** `send()` without an address: it goes to the peer. */
  send(data: Uint8Array): Promise<number> {
    return this.#rx.send(data, this.peer);
  }

  /**
   * The next datagram from the peer within `timeoutMs` (others are ignored), or `null`.
   *
   * @param timeoutMs how long to wait
   */
  async receive(timeoutMs: number): Promise<Uint8Array | null> {
    const deadline = performance.now() + timeoutMs;
    for (let left = timeoutMs; left > 0; left = deadline - performance.now()) {
      const d = await this.#rx.next(left);
      if (d === null) return null;
      if (sameAddress(d.from, this.peer)) return d.data;
      this.#onIgnored?.(d);
    }
    return null;
  }

  /**
   * Sends `payload` and waits for the peer's reply, resending after each silent wait (see
   * {@link request}).
   *
   * @param payload the request
   * @param waits one wait per send, in ms
   * @param onAttempt called before each wait
   */
  request(
    payload: Uint8Array,
    waits: number[],
    onAttempt?: (attempt: number, waitMs: number) => void,
  ): Promise<Reply> {
    return request(this.#rx, payload, this.peer, { waits, onAttempt, onIgnored: this.#onIgnored });
  }

  /** Closes the socket. */
  close(): void {
    this.#rx.close();
  }
}

/**
 * `socket(AF_INET or AF_INET6, SOCK_DGRAM)` plus `bind()`, with the checks and the error line a
 * server needs: the unstable API is there, and a failure says which address could not be bound.
 *
 * @param hostname the local address (`127.0.0.1`, `::1`, `0.0.0.0`, `::`)
 * @param port the local port (0: the OS picks)
 * @returns the socket
 */
export function bindUdp(hostname: string, port: number): Deno.DatagramConn {
  requireUnstableNet();
  try {
    return listenUdp(hostname, port);
  } catch (err) {
    throw withContext(`cannot bind UDP ${hostPort({ hostname, port })}`, err);
  }
}

/**
 * What a datagram server does with one datagram: the reply to send back to its sender, or
 * `null` for none. `data` is a view of a buffer reused for the next datagram: copy what you keep.
 */
export type DatagramHandler = (
  data: Uint8Array,
  from: Deno.NetAddr,
) => Uint8Array | null | Promise<Uint8Array | null>;

/**
 * A datagram server's loop: `recvfrom()` into one reused 64 KiB buffer (the largest datagram
 * fits, nothing is truncated), hand each datagram to `handler`, `sendto()` its reply to the
 * sender. Runs until `signal` aborts, then closes the socket. A failure to receive or reply is
 * logged and the loop goes on: nothing a peer sends stops the server.
 *
 * @param socket the bound socket (closed on return)
 * @param handler what to do with each datagram
 * @param options `signal` to stop, `log` for failures
 */
export async function serveDatagrams(
  socket: Deno.DatagramConn,
  handler: DatagramHandler,
  { signal, log = stdoutLogger }: { signal?: AbortSignal; log?: Logger } = {},
): Promise<void> {
  const buf = new Uint8Array(65536);
  const stop = () => closeQuietly(socket); // the only way to end a pending receive()
  signal?.addEventListener("abort", stop, { once: true });
  if (signal?.aborted) stop();
  try {
    while (!signal?.aborted) {
      let data: Uint8Array, from: Deno.NetAddr;
      try {
        [data, from] = (await socket.receive(buf)) as [Uint8Array, Deno.NetAddr];
      } catch (err) {
        if (signal?.aborted || err instanceof Deno.errors.BadResource) break;
        log(`receive failed: ${explain(err)}`);
        continue;
      }
      let reply: Uint8Array | null;
      try {
        reply = await handler(data, from);
      } catch (err) {
        // A bug or a surprise in handling one datagram must not stop the server.
        log(`${hashAddr(from)}: could not handle a datagram: ${explain(err)}`);
        continue;
      }
      if (reply === null) continue;
      try {
        await socket.send(reply, from);
      } catch (err) {
        if (!signal?.aborted) log(`could not reply to ${hashAddr(from)}: ${explain(err)}`);
      }
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    closeQuietly(socket);
    flushLog();
  }
}
