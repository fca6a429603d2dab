/** The built-in ingress controller (networking.k8s.io/v1 Ingress on the server's node). */
export { IngressController } from "./ingress-controller.js";
