/**
 * Workload identity on the server, put together once from the signing key
 * and a way to read objects: the token authenticator, TokenRequest and
 * issuer discovery share one key, one issuer and one set of API audiences,
 * so what one issues the others accept. (The ServiceAccount admission plugin
 * sits in the admission chain: admission/plugins/service-account.ts.)
 */
import type { TokenRequest } from "kubernetes-types/authentication/v1.js";
import type { Node, Pod, Secret, ServiceAccount } from "kubernetes-types/core/v1.js";
import { OpenIdMetadata } from "./authentication/openid-metadata.js";
import { SERVICE_ACCOUNT_ISSUER, type ServiceAccountKey } from "../pki/index.js";
import { ServiceAccountTokenAuthenticator, type ServiceAccountTokenGetters } from "./authentication/service-account-token.js";
import { createTokenRequest, type TokenRequestCall } from "./registry/core/serviceaccounts/token-request.js";

export type CoreResource = "serviceaccounts" | "pods" | "secrets" | "nodes";

export interface ServiceAccountsOptions {
  key: ServiceAccountKey;
  /** Reads one core/v1 object; undefined when it does not exist. */
  get(resource: CoreResource, namespace: string | undefined, name: string): Promise<object | undefined>;
  /** host:port clients reach this server at, for the default jwks_uri. */
  externalAddress: () => string;
  issuer?: string;
  /** Upstream's --api-audiences; default [issuer]. */
  apiAudiences?: string[];
  /** Upstream's --service-account-max-token-expiration in seconds; default none. */
  maxTokenExpirationSeconds?: number;
  /** Upstream's --service-account-jwks-uri. */
  jwksUri?: string;
  /** Labels a legacy token's Secret with the day it was last used. */
  markLegacyTokenUsed?(secret: Secret, date: string): Promise<void>;
  /**
   * Calls back whenever one of the objects tokens are bound to changes or
   * goes (the server's watch caches), so that cached authentications that
   * relied on it are checked again at once.
   */
  onBoundObjectChange?(handler: (resource: CoreResource, namespace: string | undefined, name: string) => void): void;
}

export class ServiceAccounts {
  readonly authenticator: ServiceAccountTokenAuthenticator;
  readonly openid: OpenIdMetadata;
  private readonly getters: ServiceAccountTokenGetters;
  private readonly issuer: string;
  private readonly apiAudiences: string[];

  constructor(private readonly options: ServiceAccountsOptions) {
    const get = options.get;
    this.getters = {
      getServiceAccount: async (ns, name) => (await get("serviceaccounts", ns, name)) as ServiceAccount | undefined,
      getPod: async (ns, name) => (await get("pods", ns, name)) as Pod | undefined,
      getSecret: async (ns, name) => (await get("secrets", ns, name)) as Secret | undefined,
      getNode: async (name) => (await get("nodes", undefined, name)) as Node | undefined,
    };
    this.issuer = options.issuer ?? SERVICE_ACCOUNT_ISSUER;
    this.apiAudiences = options.apiAudiences?.length ? options.apiAudiences : [this.issuer];
    this.authenticator = new ServiceAccountTokenAuthenticator({
      ...this.getters, keys: [options.key.publicKey], issuers: [this.issuer], apiAudiences: this.apiAudiences,
      markLegacyTokenUsed: options.markLegacyTokenUsed,
    });
    options.onBoundObjectChange?.((resource, namespace, name) => this.authenticator.invalidate(resource, namespace, name));
    this.openid = new OpenIdMetadata({
      issuer: this.issuer, keys: [options.key],
      jwksUri: options.jwksUri ?? (() => OpenIdMetadata.defaultJwksUri(options.externalAddress())),
    });
  }

  /** POST serviceaccounts/NAME/token. addWarning shows the client a shortened expiration. */
  tokenRequest(call: TokenRequestCall, addWarning?: (text: string) => void): Promise<TokenRequest> {
    return createTokenRequest({
      ...this.getters, key: this.options.key, issuer: this.issuer, apiAudiences: this.apiAudiences,
      maxExpirationSeconds: this.options.maxTokenExpirationSeconds, addWarning,
    }, call);
  }
}
