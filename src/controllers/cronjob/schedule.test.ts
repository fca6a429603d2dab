import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { missedTimes, nextAfter, parseSchedule } from "./schedule.js";

const at = (iso: string) => Date.parse(iso);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

describe("cron schedules", () => {
  const cases: [string, string, string][] = [
    ["*/5 * * * *", "2026-01-01T10:02:00Z", "2026-01-01T10:05:00.000Z"],
    ["0 3 * * *", "2026-01-01T10:02:00Z", "2026-01-02T03:00:00.000Z"],
    ["30 9 * * mon-fri", "2026-01-02T10:00:00Z", "2026-01-05T09:30:00.000Z"], // Friday after 9:30 -> Monday
    ["0 0 1 jan *", "2026-03-01T00:00:00Z", "2027-01-01T00:00:00.000Z"],
    ["@hourly", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00.000Z"],
    ["0 12 * * 7", "2026-01-01T00:00:00Z", "2026-01-04T12:00:00.000Z"], // 7 is Sunday too
    ["0 0 13 * 5", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00.000Z"], // day-of-month OR day-of-week when both are set
    ["CRON_TZ=Europe/Paris 0 9 * * *", "2026-01-01T00:00:00Z", "2026-01-01T08:00:00.000Z"],
  ];
  for (const [schedule, from, want] of cases) {
    it(`${schedule} after ${from} is ${want}`, () => assert.equal(iso(nextAfter(parseSchedule(schedule), at(from))), want));
  }
  it("honours spec.timeZone", () => assert.equal(iso(nextAfter(parseSchedule("0 9 * * *", "America/New_York"), at("2026-01-01T00:00:00Z"))), "2026-01-01T14:00:00.000Z"));
  it("lists missed times, the latest last", () => {
    assert.deepEqual(missedTimes(parseSchedule("*/10 * * * *"), at("2026-01-01T10:05:00Z"), at("2026-01-01T10:40:00Z")).map(iso),
      ["2026-01-01T10:10:00.000Z", "2026-01-01T10:20:00.000Z", "2026-01-01T10:30:00.000Z", "2026-01-01T10:40:00.000Z"]);
  });
  it("refuses malformed schedules", () => {
    for (const bad of ["* * * *", "61 * * * *", "*/0 * * * *", "a b c d e"]) assert.throws(() => parseSchedule(bad), bad);
  });
});
