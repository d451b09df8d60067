import { assert, assertEquals } from "@std/assert";
import { onTimeout, realClock, sleep, timedOut, TimeoutError, within } from "../lib/deadline.ts";

Deno.test("within: the call's value, or a TimeoutError with the message", async () => {
  assertEquals(await within(Promise.resolve(7), 100, "x"), 7);
  const err = await within(new Promise(() => {}), 10, "nothing in 10 ms").catch((e) => e);
  assert(err instanceof TimeoutError && err.message === "nothing in 10 ms");
  // A failure is passed on as it is, not turned into a timeout.
  const boom = await within(Promise.reject(new RangeError("boom")), 100, "x").catch((e) => e);
  assert(boom instanceof RangeError);
});

Deno.test("within: a cancellable call gets a signal that aborts at the timeout", async () => {
  let seen: AbortSignal | undefined;
  const err = await within(
    (signal) => {
      seen = signal;
      return new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason))
      );
    },
    10,
    "cancelled",
  ).catch((e) => e);
  assert(seen?.aborted && err instanceof TimeoutError);
});

Deno.test("timedOut and onTimeout: a timeout becomes a value, anything else is rethrown", async () => {
  assertEquals(await within(new Promise(() => {}), 5, "").catch(timedOut), null);
  assertEquals(await within(new Promise(() => {}), 5, "").catch(onTimeout(-1)), -1);
  const other = await within(Promise.reject(new Error("no")), 5, "").catch(onTimeout(-1))
    .catch((e) => e);
  assert(other instanceof Error && other.message === "no");
});

Deno.test("realClock: now moves forward; a timer fires, or not once cancelled", async () => {
  const t0 = realClock.now();
  let fired = 0;
  realClock.timer(() => fired++, 5);
  const cancel = realClock.timer(() => fired += 10, 5);
  cancel();
  await sleep(30);
  assertEquals(fired, 1);
  assert(realClock.now() - t0 >= 25);
});
