/**
 * The defaulting that several resources share, as upstream's SetDefaults_*
 * functions: pod specs and pod templates. Each resource's own defaults are
 * in its strategy (src/apiserver/registry/<group>/<resource>/), applied in
 * place before validation on every write.
 */
import type { Container, PodSpec, PodTemplateSpec } from "kubernetes-types/core/v1.js";

/** Sets a field that is absent or null (a client's null leaves a field unset, as in Go). */
function setIfMissing<T extends object, K extends keyof T>(o: T, key: K, value: NonNullable<T[K]>): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function defaultContainer(c: Container): void {
  const image = c.image ?? "";
  const lastPart = image.split("/").pop() ?? "";
  const tag = lastPart.includes("@") ? "digest" : lastPart.includes(":") ? lastPart.split(":").pop() : "latest";
  setIfMissing(c, "imagePullPolicy", tag === "latest" ? "Always" : "IfNotPresent");
  setIfMissing(c, "terminationMessagePath", "/dev/termination-log");
  setIfMissing(c, "terminationMessagePolicy", "File");
  setIfMissing(c, "resources", {});
  for (const p of c.ports ?? []) setIfMissing(p, "protocol", "TCP");
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) setIfMissing(e.valueFrom.fieldRef, "apiVersion", "v1");
  }
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    if (!probe) continue;
    setIfMissing(probe, "timeoutSeconds", 1);
    setIfMissing(probe, "periodSeconds", 10);
    setIfMissing(probe, "successThreshold", 1);
    setIfMissing(probe, "failureThreshold", 3);
    if (probe.httpGet) setIfMissing(probe.httpGet, "scheme", "HTTP"), setIfMissing(probe.httpGet, "path", "/");
  }
  // Requests default to limits when only limits are given.
  const resources = c.resources;
  if (resources?.limits) {
    const requests = (resources.requests ??= {});
    for (const [k, v] of Object.entries(resources.limits)) setIfMissing(requests, k, v);
  }
}

export function defaultPodSpec(spec: PodSpec | undefined): void {
  if (!spec) return;
  setIfMissing(spec, "restartPolicy", "Always");
  setIfMissing(spec, "terminationGracePeriodSeconds", 30);
  setIfMissing(spec, "dnsPolicy", "ClusterFirst");
  setIfMissing(spec, "securityContext", {});
  setIfMissing(spec, "schedulerName", "default-scheduler");
  setIfMissing(spec, "enableServiceLinks", true);
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) defaultContainer(c);
  for (const v of spec.volumes ?? []) {
    if (v.configMap) setIfMissing(v.configMap, "defaultMode", 420);
    if (v.secret) setIfMissing(v.secret, "defaultMode", 420);
    if (v.downwardAPI) setIfMissing(v.downwardAPI, "defaultMode", 420);
    if (v.projected) setIfMissing(v.projected, "defaultMode", 420);
    if (v.hostPath) setIfMissing(v.hostPath, "type", "");
  }
}

/** The pod spec of a workload's template (ReplicaSets, Jobs, PodTemplates...). */
export function defaultPodTemplate(template: PodTemplateSpec | undefined): void {
  if (template) defaultPodSpec(template.spec);
}
