import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatIndexes } from "./indexes.js";

describe("job completion indexes", () => {
  it("are written as ranges, as upstream's status shows them", () => {
    assert.equal(formatIndexes([4, 0, 1, 2, 7, 8]), "0-2,4,7-8");
    assert.equal(formatIndexes([3]), "3");
    assert.equal(formatIndexes([1, 1, 2]), "1-2");
    assert.equal(formatIndexes([]), undefined);
  });
});
