/**
 * Service-account issuer discovery (upstream's ServiceAccountIssuerDiscovery):
 * an OIDC provider configuration at /.well-known/openid-configuration and the
 * public signing keys at /openid/v1/jwks, so that relying parties outside the
 * cluster (cloud IAM, Vault) can verify service-account tokens themselves.
 * Only GET; RBAC's system:service-account-issuer-discovery role decides who
 * may read them, as for any non-resource path.
 */
import type { JSONWebKeySet } from "jose";
import { sendJson, type Response } from "../http.js";
import { SERVICE_ACCOUNT_ISSUER, type ServiceAccountKey } from "../../pki/index.js";

export const OPENID_CONFIG_PATH = "/.well-known/openid-configuration";
export const JWKS_PATH = "/openid/v1/jwks";
const CACHE_CONTROL = "public, max-age=3600";

export interface OpenIdMetadataOptions {
  issuer?: string;
  /** Upstream's --service-account-jwks-uri; by default https://<the server's external address>/openid/v1/jwks. */
  jwksUri: string | (() => string);
  /** Every key whose tokens may still be in use; the first signs. */
  keys: ServiceAccountKey[];
}

/** Upstream's openIDMetadata document. */
export interface OpenIdConfiguration {
  issuer: string;
  jwks_uri: string;
  response_types_supported: string[];
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: string[];
}

export class OpenIdMetadata {
  constructor(private readonly options: OpenIdMetadataOptions) {}

  /** The jwks_uri upstream builds from the API server's external address (host:port). */
  static defaultJwksUri(externalAddress: string): string {
    return new URL(JWKS_PATH, `https://${externalAddress}`).toString();
  }

  configuration(): OpenIdConfiguration {
    const { jwksUri } = this.options;
    return {
      issuer: this.options.issuer ?? SERVICE_ACCOUNT_ISSUER,
      jwks_uri: typeof jwksUri === "function" ? jwksUri() : jwksUri,
      // Required by OIDC, meaningless here: the API server issues no ID tokens to browsers.
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: [...new Set(this.options.keys.map((k) => k.algorithm))],
    };
  }

  async jwks(): Promise<JSONWebKeySet> {
    return { keys: await Promise.all(this.options.keys.map((k) => k.publicJwk())) };
  }

  /** Answers the two discovery paths; false for any other path. The caller has authenticated and authorized the request. */
  async serve(method: string | undefined, path: string, res: Response): Promise<boolean> {
    if (path !== OPENID_CONFIG_PATH && path !== JWKS_PATH) return false;
    if (method !== "GET" && method !== "HEAD") {
      res.setHeader("allow", "GET");
      sendJson(res, 405, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `the server does not allow this method on the requested resource (${method} ${path})`, reason: "MethodNotAllowed", code: 405 });
      return true;
    }
    res.setHeader("cache-control", CACHE_CONTROL);
    if (path === OPENID_CONFIG_PATH) sendJson(res, 200, this.configuration(), "application/json");
    else sendJson(res, 200, await this.jwks(), "application/jwk-set+json");
    return true;
  }
}
