/**
 * Client certificates signed by the cluster CA: the subject's CN is the user
 * name and each O a group, as upstream's x509 authenticator. The TLS layer
 * has already verified the chain (the server requests certificates and
 * rejects none, so that token and anonymous requests still reach it).
 */
import { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { AUTHENTICATED_GROUP, type UserInfo } from "./user-info.js";

export class X509Authenticator {
  /** A connection's certificate never changes: parsed once per connection. */
  private readonly byConnection = new WeakMap<TLSSocket, UserInfo | null>();

  authenticate(socket: TLSSocket | undefined): UserInfo | undefined {
    if (!socket?.authorized) return undefined;
    const known = this.byConnection.get(socket);
    if (known !== undefined) return known ?? undefined;
    let user: UserInfo | null = null;
    const raw = socket.getPeerCertificate?.()?.raw;
    if (raw) {
      const fields = new X509Certificate(raw).subject.split("\n").map((l) => {
        const i = l.indexOf("=");
        return [l.slice(0, i), l.slice(i + 1)] as const;
      });
      const cn = fields.find(([k]) => k === "CN")?.[1];
      const groups = fields.filter(([k]) => k === "O").map(([, v]) => v);
      if (cn) user = { username: cn, groups: [...groups, AUTHENTICATED_GROUP] };
    }
    this.byConnection.set(socket, user);
    return user ?? undefined;
  }
}
