// Cron maths: patterns × time zones (incl. both DST changes) against nextRuns, with an injected clock.
// Expected instants were worked out by hand from the zones' offsets, not produced by the library.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createSchedule, ValidationError } from "../../lib/index.ts";

const utc = (s: string) => new Date(`${s}Z`);

describe("nextRuns: patterns × time zones", () => {
  // pattern, zone, clock (UTC), expected next runs (UTC)
  const table: [string, string, string, string[]][] = [
    [
      "0 2 * * *",
      "UTC",
      "2026-11-22T00:00:00",
      ["2026-11-22T02:00:00", "2026-11-23T02:00:00", "2026-11-24T02:00:00"],
    ],
    // CET is UTC+1 in November
    ["0 2 * * *", "Europe/Berlin", "2026-11-22T00:00:00", ["2026-11-22T01:00:00", "2026-11-23T01:00:00"]],
    // EST is UTC-5 in late November
    ["0 2 * * *", "America/New_York", "2026-11-22T00:00:00", ["2026-11-22T07:00:00", "2026-11-23T07:00:00"]],
    // +05:45: local hours fall at a quarter past in UTC
    ["0 * * * *", "Asia/Kathmandu", "2026-11-22T00:07:00", ["2026-11-22T00:15:00", "2026-11-22T01:15:00"]],
    // Sydney is on daylight time (UTC+11) in November
    [
      "30 23 * * *",
      "Australia/Sydney",
      "2026-11-22T00:00:00",
      ["2026-11-22T12:30:00", "2026-11-23T12:30:00"],
    ],
    // weekdays only: Friday 2026-11-20 10:00 → Monday, Tuesday
    ["0 9 * * 1-5", "UTC", "2026-11-20T10:00:00", ["2026-11-23T09:00:00", "2026-11-24T09:00:00"]],
    // day-of-month OR day-of-week when both are restricted (Vixie cron, Velero): Fridays and the 13th
    [
      "0 0 13 * 5",
      "UTC",
      "2026-12-01T00:00:00",
      ["2026-12-04T00:00:00", "2026-12-11T00:00:00", "2026-12-13T00:00:00", "2026-12-18T00:00:00"],
    ],
    ["@daily", "UTC", "2026-11-22T10:00:00", ["2026-11-23T00:00:00", "2026-11-24T00:00:00"]],
    ["@hourly", "UTC", "2026-11-22T10:00:00", ["2026-11-22T11:00:00", "2026-11-22T12:00:00"]],
    ["@weekly", "UTC", "2026-11-22T10:00:00", ["2026-11-29T00:00:00", "2026-12-06T00:00:00"]],
    ["@monthly", "Europe/Berlin", "2026-11-22T10:00:00", ["2026-11-30T23:00:00", "2026-12-31T23:00:00"]],
    ["@yearly", "UTC", "2026-11-22T10:00:00", ["2027-01-01T00:00:00"]],
    // six fields: seconds first
    ["*/20 * * * * *", "UTC", "2026-11-22T10:00:05", ["2026-11-22T10:00:20", "2026-11-22T10:00:40"]],
    // spring forward, Berlin 2026-03-29 02:00 CET → 03:00 CEST: the fixed-time 02:30 does not exist and
    // runs at the first valid time after the gap (03:00 CEST = 01:00Z); the days around keep their offsets
    [
      "30 2 * * *",
      "Europe/Berlin",
      "2026-03-28T00:00:00",
      ["2026-03-28T01:30:00", "2026-03-29T01:00:00", "2026-03-30T00:30:00"],
    ],
    // an interval job across the same gap: every 30 minutes of real time, nothing doubled or lost
    [
      "*/30 * * * *",
      "Europe/Berlin",
      "2026-03-29T00:40:00",
      ["2026-03-29T01:00:00", "2026-03-29T01:30:00", "2026-03-29T02:00:00"],
    ],
    // fall back, New York 2026-11-01 02:00 EDT → 01:00 EST: the fixed-time 01:30 happens twice, runs once
    [
      "30 1 * * *",
      "America/New_York",
      "2026-10-31T00:00:00",
      ["2026-10-31T05:30:00", "2026-11-01T05:30:00", "2026-11-02T06:30:00"],
    ],
    // an hourly job runs on both 01:00s of that night
    [
      "0 * * * *",
      "America/New_York",
      "2026-11-01T04:30:00",
      ["2026-11-01T05:00:00", "2026-11-01T06:00:00", "2026-11-01T07:00:00"],
    ],
  ];
  for (const [cron, timezone, clock, expected] of table) {
    test(`"${cron}" in ${timezone} from ${clock}Z`, () => {
      const s = createSchedule({ name: "t", cron, timezone, run: () => {}, now: () => utc(clock) });
      assert.deepEqual(
        s.nextRuns(expected.length).map((d) => d.toISOString()),
        expected.map((e) => utc(e).toISOString()),
      );
    });
  }

  test("nextRuns defaults to 5 runs from the injected clock, and takes another start", () => {
    const s = createSchedule({
      name: "t",
      cron: "@daily",
      run: () => {},
      now: () => utc("2026-11-22T10:00:00"),
    });
    assert.equal(s.nextRuns().length, 5);
    assert.deepEqual(s.nextRuns(1, utc("2027-02-28T12:00:00")), [utc("2027-03-01T00:00:00")]);
  });
});

describe("schedule validation", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["a bad field value", { cron: "61 * * * *" }, /cron: invalid cron pattern "61 \* \* \* \*".*minute/],
    ["four fields", { cron: "* * * *" }, /expected 5 fields .* got 4/],
    ["an unknown macro", { cron: "@fortnightly" }, /unknown macro "@fortnightly": expected one of @yearly/],
    ["@every", { cron: "@every 1h" }, /"@every" intervals are not supported: write a cron pattern/],
    [
      "an unknown zone",
      { timezone: "America/Gotham" },
      /timezone: expected an IANA time zone .* got "America\/Gotham"/,
    ],
    ["a bad name", { name: "Shop_Nightly" }, /name: expected a DNS-1123 label .* got "Shop_Nightly"/],
    ["a name too long", { name: "a".repeat(64) }, /name: expected a DNS-1123 label of at most 63/],
    ["no run function", { run: undefined }, /run: expected a function, got undefined/],
  ];
  for (const [what, override, message] of cases) {
    test(`${what} → ValidationError naming the field`, () => {
      const options = { name: "shop-nightly", cron: "0 2 * * *", run: () => {}, ...override };
      assert.throws(
        () => createSchedule(options as never),
        (error: unknown) => error instanceof ValidationError && message.test(error.message),
      );
    });
  }

  test("every problem is reported at once", () => {
    assert.throws(
      () => createSchedule({ name: "X", cron: "bad", run: 3 } as never),
      (error: unknown) => error instanceof ValidationError && error.problems.length === 3,
    );
  });
});
