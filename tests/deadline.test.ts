import { assert, assertEquals } from "@std/assert";
import { Deadlines, TimeoutError, within } from "../lib/deadline.ts";
import { Inflight } from "../lib/inflight.ts";
import { LinkedList } from "../lib/list.ts";

Deno.test("Deadlines: one clock fires each deadline once it passes, and stops when none is left", async () => {
  const clock = new Deadlines(10);
  const t0 = performance.now();
  const soon = clock.start(30), later = clock.start(90), never = clock.start(10_000);
  assertEquals(await soon.late, "late");
  const first = performance.now() - t0;
  assert(first >= 29 && first < 1000, `${first} ms`); // never early; late by a tick or a busy loop
  const raced = await Promise.race([
    new Promise((r) => setTimeout(() => r("read"), 5)),
    later.late,
  ]);
  assertEquals(raced, "read"); // a call that finishes first wins the race
  assertEquals(await later.late, "late");
  never.done(); // the last one watched: the clock stops at its next tick...
  soon.done();
  later.done();
  await new Promise((r) => setTimeout(r, 30)); // (the sanitizer would see a running interval)
  const again = clock.start(1000);
  clock.stop(); // ...or at once, as a server that stops does
  assertEquals(await Promise.race([again.late, Promise.resolve("not late")]), "not late");
});

Deno.test("Deadlines: a deadline closes its socket when it passes, unless its late was asked for", async () => {
  const clock = new Deadlines(5);
  const closed: string[] = [];
  const socket = (name: string) => ({ close: () => closed.push(name) });
  const closes = clock.start(10, socket("closes")), raced = clock.start(10, socket("raced"));
  const done = clock.start(10, socket("done"));
  done.done(); // the exchange ended in time: nothing is closed
  assertEquals(await raced.late, "late");
  await new Promise((r) => setTimeout(r, 30));
  assertEquals([closed, closes.passed, raced.passed, done.passed], [["closes"], true, true, false]);
  assertEquals(await closes.late, "late"); // asked for after it passed: already settled
  clock.stop();
});

Deno.test("within: the call's value, or a TimeoutError with the message", async () => {
  assertEquals(await within(Promise.resolve(7), 100, "x"), 7);
  const err = await within(new Promise(() => {}), 10, "nothing in 10 ms").catch((e) => e);
  assert(err instanceof TimeoutError && err.message === "nothing in 10 ms");
});

Deno.test("Inflight: counts, wakes a waiter when one leaves, settles with a limit or without", async () => {
  const list = new Inflight();
  const closed: string[] = [];
  const conn = (name: string) => ({ close: () => closed.push(name) });
  const a = list.add(conn("a")), b = list.add(conn("b"));
  let endB = () => {};
  a.task = Promise.resolve();
  b.task = new Promise<void>((r) => endB = r).then(() => b.done());
  assertEquals(list.size, 2);
  const slot = list.slot();
  a.done();
  a.done(); // twice: no effect
  await slot;
  assertEquals(list.size, 1);
  setTimeout(endB, 40);
  await list.settle(20); // b does not finish in 20 ms
  assertEquals(list.size, 1);
  for (const conn of list.conns()) conn.close();
  await list.settle(Infinity);
  assertEquals([closed, list.size], [["b"], 0]);
});

Deno.test("LinkedList: add, remove once, walk while removing, clear", () => {
  type Item = { name: string; prev?: Item; next?: Item };
  const list = new LinkedList<Item>();
  const [a, b, c] = ["a", "b", "c"].map((name) => ({ name }) as Item);
  for (const item of [a, b, c]) list.add(item);
  assertEquals([...list].map((i) => i.name), ["c", "b", "a"]);
  assert(list.remove(b) && !list.remove(b)); // a second remove does nothing
  assertEquals([list.size, [...list].map((i) => i.name)], [2, ["c", "a"]]);
  for (const item of list) list.remove(item); // removing during the walk is fine
  assertEquals(list.size, 0);
  list.add(a);
  list.clear();
  assertEquals([list.size, [...list]], [0, []]);
});
