import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AbortError } from "../../lib/errors.ts";
import { poll, pollDone, pollPending } from "../../lib/util/poll.ts";

describe("poll", () => {
  test("returns the value once the probe is done", async () => {
    let looks = 0;
    const outcome = await poll("x", async () => (++looks < 3 ? pollPending("waiting") : pollDone(looks)), {
      intervalMs: 1,
      timeoutMs: 10_000,
    });
    assert.deepEqual(outcome, { done: true, value: 3 });
  });

  test("says when the time ran out, with the last pending state", async () => {
    const outcome = await poll("x", async () => pollPending("still"), { intervalMs: 5, timeoutMs: 12 });
    assert.equal(outcome.done, false);
    assert.equal(!outcome.done && outcome.state, "still");
  });

  test("an abort cuts a pause short with an AbortError naming what was waited for", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(
      poll("CRD foo.example.com to be Established", async () => pollPending("not yet"), {
        intervalMs: 60_000,
        timeoutMs: 600_000,
        signal: controller.signal,
      }),
      (error: unknown) =>
        error instanceof AbortError &&
        /waiting for CRD foo\.example\.com to be Established/.test(error.message),
    );
    assert.ok(Date.now() - started < 5_000);
  });
});
