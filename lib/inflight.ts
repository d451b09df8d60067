/**
 * The connections a server is serving right now, for its cap and its graceful stop.
 *
 * A linked list, not a `Set` or a `Map`: a server that takes and drops tens of thousands of
 * connections a second would churn a hash table, and V8 then copies megabytes in every
 * young-generation collection (measured with `--trace-gc` under wrk: a `Set` of connections
 * doubled the survivors and the scavenge time of the same loop without one).
 *
 * @module
 */
import { within } from "./deadline.ts";

/** One connection being served: add it with {@link Inflight.add}, end it with `done()`. */
export class Served {
  /** The task serving it (set by the server once it starts). */
  task: Promise<void> = Promise.resolve();
  /** @internal */
  prev?: Served;
  /** @internal */
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
  #head?: Served;
  #size = 0;
  #wake?: () => void;

  /** How many are being served. */
  get size(): number {
    return this.#size;
  }

  /**
   * Puts `conn` on the list.
   *
   * @param conn the accepted connection
   * @returns its entry: set its `task`, and call `done()` when the task ends
   */
  add(conn: { close(): void }): Served {
    const entry = new Served(conn, this);
    entry.next = this.#head;
    if (this.#head) this.#head.prev = entry;
    this.#head = entry;
    this.#size++;
    return entry;
  }

  /**
   * Takes `entry` off the list (once; later calls do nothing).
   *
   * @param entry one of this list's
   */
  remove(entry: Served): void {
    if (entry.prev === undefined && this.#head !== entry) return; // already off
    if (entry.prev) entry.prev.next = entry.next;
    else this.#head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    entry.prev = entry.next = undefined;
    this.#size--;
    this.#wake?.();
    this.#wake = undefined;
  }

  /** Resolves when a connection leaves the list (at once if the list is empty). */
  slot(): Promise<void> {
    if (this.#size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#wake = resolve);
  }

  /** Every task on the list. */
  tasks(): Promise<void>[] {
    const all: Promise<void>[] = [];
    for (let e = this.#head; e; e = e.next) all.push(e.task);
    return all;
  }

  /**
   * A graceful stop: waits up to `graceMs` for every task, then closes the connections left
   * (their pending reads fail) and waits for their tasks.
   *
   * @param graceMs how long the clients in progress get to finish
   */
  async drain(graceMs: number): Promise<void> {
    await within(Promise.all(this.tasks()), graceMs, "").catch(() => {});
    for (let e = this.#head; e; e = e.next) {
      try {
        e.conn.close();
      } catch { /* closed already */ }
    }
    await Promise.all(this.tasks());
  }
}
