/** apiregistration.k8s.io/v1 APIService, which kubernetes-types does not carry (it is kube-aggregator's, not core's). */
import type { Condition, ObjectMeta } from "kubernetes-types/meta/v1.js";

export interface ServiceReference { namespace?: string; name?: string; port?: number }

export interface APIServiceSpec {
  /** The Service that serves the group-version; none for the API server's own (a "Local" APIService). */
  service?: ServiceReference | null;
  group?: string;
  version?: string;
  insecureSkipTLSVerify?: boolean;
  /** PEM bundle, base64 in JSON, that the Service's serving certificate is checked against. */
  caBundle?: string;
  groupPriorityMinimum: number;
  versionPriority: number;
}

export interface APIService {
  apiVersion?: "apiregistration.k8s.io/v1";
  kind?: "APIService";
  metadata?: ObjectMeta;
  spec?: APIServiceSpec;
  status?: { conditions?: Condition[] };
}
