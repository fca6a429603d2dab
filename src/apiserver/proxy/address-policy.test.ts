import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isGlobalUnicast, isLoopback, isProxyableIP } from "./address-policy.js";

describe("address policy", () => {
  // [address, global unicast (pods), proxyable (nodes)]
  const cases: [string | undefined, boolean, boolean][] = [
    ["10.244.0.5", true, true],
    ["192.168.1.1", true, true],
    ["8.8.8.8", true, true],
    ["2001:db8::1", true, true],
    ["127.0.0.1", false, false],
    ["127.10.0.1", false, false],
    ["::1", false, false],
    ["::ffff:127.0.0.1", false, false],
    ["169.254.169.254", false, false],
    ["fe80::1", false, false],
    ["224.0.0.1", false, false],
    ["239.1.1.1", false, true],
    ["ff02::1", false, false],
    ["ff01::1", false, false],
    ["0.0.0.0", false, true],
    ["255.255.255.255", false, true],
    ["", false, false],
    [undefined, false, false],
    ["web.example", false, false],
  ];
  for (const [ip, global, proxyable] of cases) {
    it(`${ip}: global unicast ${global}, proxyable ${proxyable}`, () => {
      assert.equal(isGlobalUnicast(ip), global);
      assert.equal(isProxyableIP(ip), proxyable);
    });
  }

  it("knows loopback in both families", () => {
    assert.ok(isLoopback("127.0.0.1") && isLoopback("::1") && isLoopback("::ffff:127.1.2.3"));
    assert.ok(!isLoopback("10.0.0.1") && !isLoopback(undefined));
  });
});
