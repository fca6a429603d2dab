import { it } from "node:test";
import { runStoreConformance } from "../store-conformance.js";
import { EtcdStore } from "./etcd-store.js";

// CI starts Debian's etcd-server on loopback and names it here; without it the suite is skipped, loudly.
const endpoint = process.env.SKIFF_TEST_ETCD;
if (endpoint) {
  runStoreConformance("etcd", async () => new EtcdStore([endpoint]));
} else {
  it("etcd conformance", { skip: "SKIFF_TEST_ETCD is not set (CI sets it to a local etcd)" }, () => {});
}
