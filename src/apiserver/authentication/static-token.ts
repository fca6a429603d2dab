/**
 * Tokens the server was started with (the admin's token in the data
 * directory), as upstream's --token-auth-file. Compared in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { TokenAuthenticator, UserInfo } from "./user-info.js";

const digest = (s: string) => createHash("sha256").update(s).digest();

export class StaticTokenAuthenticator implements TokenAuthenticator {
  private readonly tokens: { digest: Buffer; user: UserInfo }[];

  constructor(tokens: Iterable<[string, UserInfo]>) {
    this.tokens = [...tokens].map(([token, user]) => ({ digest: digest(token), user }));
  }

  authenticateToken(token: string): UserInfo | undefined {
    const d = digest(token);
    let found: UserInfo | undefined;
    for (const t of this.tokens) if (timingSafeEqual(t.digest, d)) found = t.user;
    return found;
  }
}
