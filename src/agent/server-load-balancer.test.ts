import assert from "node:assert/strict";
import { connect, createServer, type Server } from "node:net";
import { describe, it } from "node:test";
import { ServerLoadBalancer, serversFromEndpoints } from "./server-load-balancer.js";

/** A TCP server on loopback that answers every connection with its name. */
async function namedServer(name: string): Promise<{ server: Server; address: string }> {
  const server = createServer((s) => s.end(name));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return { server, address: `127.0.0.1:${(server.address() as { port: number }).port}` };
}

/** What a connection through the balancer reads before it closes. */
function read(url: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    let got = "";
    const s = connect({ host: "127.0.0.1", port: Number(port) });
    s.on("data", (d: Buffer) => (got += d.toString()));
    s.on("close", () => resolve(got));
    s.on("error", reject);
  });
}

describe("ServerLoadBalancer", () => {
  it("reaches the default server, moves to the next when it dies, and stays there", async () => {
    const a = await namedServer("a");
    const b = await namedServer("b");
    const lb = new ServerLoadBalancer({ defaultServer: a.address });
    const url = await lb.start();
    try {
      assert.equal(await read(url), "a");
      lb.setServers([b.address]);
      assert.deepEqual(lb.list(), [a.address, b.address], "the server in use first, the default kept");
      assert.equal(await read(url), "a", "a live server in use is kept");
      await new Promise((r) => a.server.close(r));
      assert.equal(await read(url), "b");
      assert.deepEqual(lb.list(), [b.address, a.address]);
      await new Promise((r) => b.server.close(r));
      assert.equal(await read(url), "", "no server: the connection is closed");
    } finally {
      await lb.stop();
      a.server.close();
      b.server.close();
    }
  });

  it("takes out a server that fails its health check, cuts its connections, and puts it back when it passes", async () => {
    const a = await namedServer("a");
    const b = await namedServer("b");
    // a holds its connections open until they are cut, as an API server's watch does.
    const held = createServer(() => {});
    await new Promise<void>((resolve) => held.listen(0, "127.0.0.1", () => resolve()));
    const heldAddress = `127.0.0.1:${(held.address() as { port: number }).port}`;
    const sick = new Set<string>();
    const lb = new ServerLoadBalancer({ defaultServer: heldAddress, healthCheck: async (s) => !sick.has(s), healthIntervalMs: 60_000 });
    const url = await lb.start();
    try {
      lb.setServers([heldAddress, a.address, b.address]);
      const cut = read(url);
      await new Promise((r) => setTimeout(r, 100));
      sick.add(heldAddress);
      await lb.checkHealth();
      assert.equal(await cut, "", "the connection through the unhealthy server is cut");
      assert.deepEqual(lb.healthy(), [a.address, b.address]);
      assert.equal(await read(url), "a", "an unhealthy server is not dialled while a healthy one is left");
      sick.add(a.address);
      sick.add(b.address);
      await lb.checkHealth();
      assert.equal(await read(url), "a", "with none healthy, every server is still tried");
      sick.clear();
      await lb.checkHealth();
      assert.deepEqual(lb.healthy(), [heldAddress, a.address, b.address], "each is put back when it passes");
    } finally {
      await lb.stop();
      for (const s of [a.server, b.server, held]) s.close();
    }
  });

  it("takes the servers from the kubernetes Endpoints' https port", () => {
    assert.deepEqual(serversFromEndpoints({
      subsets: [{ addresses: [{ ip: "10.0.0.1" }, { ip: "fd00::2" }], ports: [{ name: "https", port: 6443, protocol: "TCP" }] }],
    }), ["10.0.0.1:6443", "[fd00::2]:6443"]);
    assert.deepEqual(serversFromEndpoints({}), []);
  });
});
