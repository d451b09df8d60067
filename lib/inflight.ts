/**
 * The connections a server is serving right now, for its cap and its graceful stop, on a
 * {@link LinkedList} (a `Map` of them costs a busy server in garbage collection).
 *
 * @module
 */
import { within } from "./deadline.ts";
import { type Linked, LinkedList } from "./list.ts";

/** One connection being served: add it with {@link Inflight.add}, end it with `done()`. */
export class Served implements Linked<Served> {
  /** The task serving it (set by the server once it starts). */
  task: Promise<void> = Promise.resolve();
  /** The entry before it on its list (kept by the list). */
  prev?: Served;
  /** The entry after it on its list (kept by the list). */
  next?: Served;

  /**
   * Made by {@link Inflight.add}.
   *
   * @param conn the connection
   * @param owner the list it is on
   */
  constructor(readonly conn: { close(): void }, readonly owner: Inflight) {}

  /** Takes it off the list (its task has ended); wakes a server waiting for a free slot. */
  done(): void {
    this.owner.remove(this);
  }
}

/** The connections being served: how many, a wait for a free slot, and a stop. */
export class Inflight {
  #list = new LinkedList<Served>();
  #wake?: () => void;

  /** How many are being served. */
  get size(): number {
    return this.#list.size;
  }

  /**
   * Puts `conn` on the list.
   *
   * @param conn the accepted connection
   * @returns its entry: set its `task`, and call `done()` when the task ends
   */
  add(conn: { close(): void }): Served {
    const entry = new Served(conn, this);
    this.#list.add(entry);
    return entry;
  }

  /**
   * Takes `entry` off the list (once; later calls do nothing).
   *
   * @param entry one of this list's
   */
  remove(entry: Served): void {
    if (!this.#list.remove(entry)) return;
    this.#wake?.();
    this.#wake = undefined;
  }

  /**
   * Resolves when a connection leaves the list (at once if the list is empty). One waiter at a
   * time: the accept loop, at the cap.
   */
  slot(): Promise<void> {
    if (this.#list.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#wake = resolve);
  }

  /** Every task on the list. */
  tasks(): Promise<void>[] {
    return [...this.#list].map((e) => e.task);
  }

  /** The connections still being served (for a stop: the server closes them itself). */
  *conns(): Generator<{ close(): void }> {
    for (const e of this.#list) yield e.conn;
  }

  /**
   * Waits up to `ms` for every task on the list to end (a graceful stop gives the clients in
   * progress a moment, then closes what is left and waits again, without a limit).
   *
   * @param ms how long at most (`Infinity`: until all have ended)
   */
  async settle(ms: number): Promise<void> {
    await within(Promise.all(this.tasks()), ms, "").catch(() => {});
  }
}
