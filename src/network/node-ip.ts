/**
 * The node's default InternalIP when --node-ip is not given, as upstream's
 * kubelet and k3s choose it: an address of the interface that holds the
 * default route; without a default route, the address the route to the
 * server leaves from (`ip route get SERVER`'s source, else its interface's
 * address); else any address of the machine but loopback's; 127.0.0.1 only
 * when the machine has nothing else.
 */
import { runOnHost, type Runner } from "./commands.js";

/** What `ip -j route show default` and `ip -j route get ADDR` print, in part. */
export interface RouteJson { dst?: string; dev?: string; gateway?: string; prefsrc?: string; type?: string }
/** What `ip -j addr show` prints, in part. */
export interface LinkJson { ifname: string; flags?: string[]; addr_info?: { family?: string; local?: string; scope?: string }[] }

export interface NodeIPInputs {
  defaultRoutes: RouteJson[];
  /** The route to the server's address, when there is a server to reach. */
  routeToServer?: RouteJson[];
  links: LinkJson[];
}

const isLoopback = (address: string) => address.startsWith("127.") || address === "::1";

/** The link's IPv4 addresses that another machine could reach (not loopback, not link-local). */
function addressesOf(link: LinkJson | undefined): string[] {
  return (link?.addr_info ?? [])
    .filter((a) => a.family === "inet" && a.local && !isLoopback(a.local) && a.scope !== "host" && a.scope !== "link")
    .map((a) => a.local!);
}

export function chooseNodeIP({ defaultRoutes, routeToServer, links }: NodeIPInputs): string {
  const link = (dev: string | undefined) => links.find((l) => l.ifname === dev);
  for (const r of defaultRoutes) {
    if (r.prefsrc && !isLoopback(r.prefsrc)) return r.prefsrc;
    const [first] = addressesOf(link(r.dev));
    if (first) return first;
  }
  for (const r of routeToServer ?? []) {
    if (r.prefsrc && !isLoopback(r.prefsrc)) return r.prefsrc;
    const [first] = addressesOf(link(r.dev));
    if (first) return first;
  }
  return links.flatMap(addressesOf)[0] ?? "127.0.0.1";
}

/** Reads the routes and addresses with `ip -j` and chooses; serverAddress is the server's IP, for a node that joins one. */
export function detectNodeIP(serverAddress: string | undefined, run: Runner = runOnHost): string {
  const json = <T>(args: string[]): T[] => {
    const r = run("ip", ["-j", ...args]);
    try { return r.ok ? (JSON.parse(r.out || "[]") as T[]) : []; } catch { return []; }
  };
  return chooseNodeIP({
    defaultRoutes: json<RouteJson>(["-4", "route", "show", "default"]),
    routeToServer: serverAddress ? json<RouteJson>(["route", "get", serverAddress]) : undefined,
    links: json<LinkJson>(["addr", "show"]),
  });
}
