/**
 * A doubly linked list whose items carry their own links, for sets that churn: a server adds
 * and removes one entry per connection, tens of thousands a second. A `Set` or a `Map` does the
 * same job, but under that churn V8 then copies megabytes in every young-generation collection
 * (measured with `--trace-gc` under wrk: a `Set` of connections doubled the survivors and the
 * scavenge time of the same accept loop without one).
 *
 * @module
 */

/** What an item of a {@link LinkedList} carries: its neighbours (managed by the list). */
export interface Linked<T> {
  /** The item before it, while on a list. */
  prev?: T;
  /** The item after it, while on a list. */
  next?: T;
}

/** The list: add, remove (each once, in constant time), count, and walk. */
export class LinkedList<T extends Linked<T>> {
  #head?: T;
  #size = 0;

  /** How many items are on the list. */
  get size(): number {
    return this.#size;
  }

  /**
   * Puts `item` first.
   *
   * @param item not on any list
   */
  add(item: T): void {
    item.next = this.#head;
    if (this.#head) this.#head.prev = item;
    this.#head = item;
    this.#size++;
  }

  /**
   * Takes `item` off the list.
   *
   * @param item on this list, or already taken off (then nothing happens)
   * @returns whether it was on the list
   */
  remove(item: T): boolean {
    if (item.prev === undefined && this.#head !== item) return false;
    if (item.prev) item.prev.next = item.next;
    else this.#head = item.next;
    if (item.next) item.next.prev = item.prev;
    item.prev = item.next = undefined;
    this.#size--;
    return true;
  }

  /** Empties the list. */
  clear(): void {
    while (this.#head) this.remove(this.#head);
  }

  /** Every item, first to last (an item removed during the walk does not stop it). */
  *[Symbol.iterator](): Generator<T> {
    for (let item = this.#head; item;) {
      const next = item.next;
      yield item;
      item = next;
    }
  }
}
