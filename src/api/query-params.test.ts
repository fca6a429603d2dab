import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boolQueryParam } from "./query-params.js";

describe("boolean query parameters", () => {
  it("read as upstream's options do: present means true unless 0 or false", () => {
    const read = (q: string) => boolQueryParam(new URLSearchParams(q), "watch");
    for (const q of ["watch=true", "watch=True", "watch=1", "watch=t", "watch=TRUE", "watch=", "watch"]) assert.equal(read(q), true, q);
    for (const q of ["", "watch=false", "watch=False", "watch=FALSE", "watch=0", "other=true"]) assert.equal(read(q), false, q);
  });
});
