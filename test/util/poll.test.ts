import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sleep } from "../../lib/util/poll.ts";

describe("sleep", () => {
  test("waits the given time without a signal", async () => {
    const started = Date.now();
    await sleep(30);
    assert.ok(Date.now() - started >= 25);
  });

  test("resolves at once when the signal fires, and when it has already fired", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await sleep(60_000, controller.signal);
    await sleep(60_000, controller.signal);
    assert.ok(Date.now() - started < 5_000);
  });
});
