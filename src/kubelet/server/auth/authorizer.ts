/**
 * Whether a user may do what a request to the kubelet asks, decided by the
 * API server through a SubjectAccessReview, as upstream's kubelet with
 * `--authorization-mode=Webhook`. Answers are kept as upstream's defaults
 * (KubeletConfiguration authorization.webhook): allowed 5 minutes, not
 * allowed 30 seconds; a review that fails is not kept.
 */
import type { ResourceAttributes, SubjectAccessReview } from "kubernetes-types/authorization/v1.js";
import type { KubeObject } from "../../../client/index.js";
import type { KubeletUser, ReviewClient } from "./authenticator.js";
import { TtlCache } from "./ttl-cache.js";

export const AUTHORIZED_TTL_MS = 5 * 60_000;
export const UNAUTHORIZED_TTL_MS = 30_000;

const subjectAccessReviews = { group: "authorization.k8s.io", version: "v1", resource: "subjectaccessreviews", namespaced: false };

export class KubeletAuthorizer {
  private readonly decisions: TtlCache<boolean>;

  constructor(private readonly client: ReviewClient, options: { authorizedTtlMs?: number; unauthorizedTtlMs?: number; now?: () => number } = {}) {
    this.decisions = new TtlCache({
      ttlMs: (allowed) => (allowed ? options.authorizedTtlMs ?? AUTHORIZED_TTL_MS : options.unauthorizedTtlMs ?? UNAUTHORIZED_TTL_MS),
      now: options.now,
    });
  }

  /** Whether the API server allows it; throws when it could not be asked. */
  allowed(user: KubeletUser, attributes: ResourceAttributes): Promise<boolean> {
    const spec = { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, resourceAttributes: attributes };
    return this.decisions.get(JSON.stringify(spec), async () => {
      const review: SubjectAccessReview & KubeObject = { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", metadata: {}, spec };
      const answer = await this.client.create<SubjectAccessReview & KubeObject>(subjectAccessReviews, undefined, review);
      return answer.status?.allowed === true;
    });
  }
}
