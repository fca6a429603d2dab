import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../api/errors.js";
import { retryOnConflict } from "./retry.js";

const conflict = () => new ApiError(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again");

describe("retryOnConflict", () => {
  it("reruns the read-modify-write after a conflict, and returns what the attempt that won returns", async () => {
    let calls = 0;
    assert.equal(await retryOnConflict(async () => { calls++; if (calls < 3) throw conflict(); return "written"; }), "written");
    assert.equal(calls, 3);
  });
  it("gives up with the conflict after its steps, and at once on any other error", async () => {
    let calls = 0;
    await assert.rejects(retryOnConflict(async () => { calls++; throw conflict(); }, 4, 1), /has been modified/);
    assert.equal(calls, 4);
    calls = 0;
    await assert.rejects(retryOnConflict(async () => { calls++; throw new ApiError(404, "NotFound", "gone"); }), /gone/);
    assert.equal(calls, 1);
  });
});
