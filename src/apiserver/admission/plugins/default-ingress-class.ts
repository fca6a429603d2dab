/**
 * Upstream's DefaultIngressClass: a new Ingress that names no class (nor the
 * legacy annotation) gets the default IngressClass, the newest if several
 * are marked.
 */
import type { Ingress, IngressClass } from "kubernetes-types/networking/v1.js";
import type { AdmissionAttributes, AdmissionPlugin } from "../admission.js";

export class DefaultIngressClass implements AdmissionPlugin {
  readonly name = "DefaultIngressClass";

  constructor(private readonly options: { ingressClasses(): IngressClass[] }) {}

  admit(a: AdmissionAttributes): void {
    if (a.operation !== "CREATE" || a.subresource || a.info.group !== "networking.k8s.io" || a.info.resource !== "ingresses") return;
    const ing = a.object as Ingress;
    if (ing.spec?.ingressClassName || ing.metadata?.annotations?.["kubernetes.io/ingress.class"]) return;
    const defaults = this.options.ingressClasses().filter((c) => c.metadata?.annotations?.["ingressclass.kubernetes.io/is-default-class"] === "true")
      .sort((x, y) => String(y.metadata?.creationTimestamp).localeCompare(String(x.metadata?.creationTimestamp)) || String(x.metadata?.name).localeCompare(String(y.metadata?.name)));
    if (defaults[0]) (ing.spec ??= {}).ingressClassName = defaults[0].metadata!.name;
  }
}
