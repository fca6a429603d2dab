/**
 * Upstream's validatingadmissionpolicy-status-controller: once a policy's
 * generation is newer than its status.observedGeneration, it writes
 * status.observedGeneration and status.typeChecking with the warnings of its
 * type checker (`type-checker.ts`; none: `typeChecking: {}`). Upstream's sets
 * no conditions.
 */
import type { ExpressionWarning, ValidatingAdmissionPolicy } from "kubernetes-types/admissionregistration/v1.js";
import { isConflict, isNotFound } from "../../api/errors.js";
import { WorkQueue, type Informer, type ResourceRef } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, runQueue } from "../controller.js";
import { checkPolicyTypes, serverSchemas } from "./type-checker.js";

const policies: ResourceRef = { group: "admissionregistration.k8s.io", version: "v1", resource: "validatingadmissionpolicies", namespaced: false };

/** The type checker: the warnings for a policy's expressions (none when it has nothing to say). */
export type PolicyTypeChecker = (policy: ValidatingAdmissionPolicy) => ExpressionWarning[] | Promise<ExpressionWarning[]>;

/** The status the controller writes for a policy, or undefined when it has observed this generation. */
export async function policyStatus(policy: ValidatingAdmissionPolicy, check: PolicyTypeChecker): Promise<ValidatingAdmissionPolicy["status"] | undefined> {
  const generation = policy.metadata?.generation ?? 0;
  if (generation <= (policy.status?.observedGeneration ?? 0)) return undefined;
  const warnings = await check(policy);
  return { ...policy.status, observedGeneration: generation, typeChecking: warnings.length ? { expressionWarnings: warnings } : {} };
}

export class ValidatingAdmissionPolicyStatusController implements Controller {
  readonly name = "validatingadmissionpolicy-status-controller";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private policies!: Informer<Kube<ValidatingAdmissionPolicy>>;

  private check!: PolicyTypeChecker;

  /** checker: the type checker (default: upstream's, on the server's discovery and OpenAPI documents). */
  constructor(private readonly checker?: PolicyTypeChecker) {}

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    const schemas = serverSchemas(ctx.client);
    this.check = this.checker ?? ((p) => checkPolicyTypes(p, schemas()));
    this.policies = ctx.informers.informer<Kube<ValidatingAdmissionPolicy>>(policies);
    const enqueue = (p: Kube<ValidatingAdmissionPolicy>) => this.queue.add(String(p.metadata.name));
    this.policies.addEventHandler({ add: enqueue, update: (_old, p) => enqueue(p) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (name) => this.sync(name), this.ctx, "validatingadmissionpolicy status");
  }

  private async sync(name: string): Promise<void> {
    const policy = this.policies.get(name);
    const status = policy && await policyStatus(policy, this.check);
    if (!policy || !status) return;
    try {
      await this.ctx.client.update(policies, undefined, { ...structuredClone(policy), status }, "status");
    } catch (err) {
      // Gone: nothing to do. Conflict: the newer version's event queues it again.
      if (isNotFound(err) || isConflict(err)) return;
      throw new Error(`update status of validatingadmissionpolicy ${name}`, { cause: err });
    }
  }
}
