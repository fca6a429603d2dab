/**
 * Wire schemas of the messages that kubectl sends as protobuf (every
 * `kubectl create <subcommand>`, autoscale, create token, auth can-i). Field
 * numbers are facts of the Kubernetes wire format; each entry reads
 * "jsonName:type" where the type is a scalar (string, int, bool, bytes), a
 * well-known wrapper (time, quantity, intstr), `map<K,V>`, or a message name.
 * Prefixes: `[]` repeated, `~` an embedded struct whose fields are inlined in
 * JSON; suffix `!` keeps a zero value (a pointer field set to 0).
 */
export type MessageSchema = Record<number, string>;

const meta: Record<string, MessageSchema> = {
  ObjectMeta: {
    1: "name:string", 2: "generateName:string", 3: "namespace:string", 4: "selfLink:string", 5: "uid:string", 6: "resourceVersion:string",
    7: "generation:int", 8: "creationTimestamp:time", 9: "deletionTimestamp:time", 10: "deletionGracePeriodSeconds:int",
    11: "labels:map<string,string>", 12: "annotations:map<string,string>", 13: "ownerReferences:[]OwnerReference", 14: "finalizers:[]string",
  },
  OwnerReference: { 1: "kind:string", 3: "name:string", 4: "uid:string", 5: "apiVersion:string", 6: "controller:bool", 7: "blockOwnerDeletion:bool" },
  LabelSelector: { 1: "matchLabels:map<string,string>", 2: "matchExpressions:[]LabelSelectorRequirement" },
  LabelSelectorRequirement: { 1: "key:string", 2: "operator:string", 3: "values:[]string" },
};

const core: Record<string, MessageSchema> = {
  ConfigMap: { 1: "metadata:ObjectMeta", 2: "data:map<string,string>", 3: "binaryData:map<string,bytes>", 4: "immutable:bool" },
  Secret: { 1: "metadata:ObjectMeta", 2: "data:map<string,bytes>", 3: "type:string", 4: "stringData:map<string,string>", 5: "immutable:bool" },
  Namespace: { 1: "metadata:ObjectMeta", 2: "spec:NamespaceSpec" },
  NamespaceSpec: { 1: "finalizers:[]string" },
  ServiceAccount: { 1: "metadata:ObjectMeta", 2: "secrets:[]ObjectReference", 3: "imagePullSecrets:[]LocalObjectReference", 4: "automountServiceAccountToken:bool" },
  ObjectReference: { 1: "kind:string", 2: "namespace:string", 3: "name:string", 4: "uid:string", 5: "apiVersion:string", 6: "resourceVersion:string", 7: "fieldPath:string" },
  LocalObjectReference: { 1: "name:string" },
  Service: { 1: "metadata:ObjectMeta", 2: "spec:ServiceSpec" },
  ServiceSpec: {
    1: "ports:[]ServicePort", 2: "selector:map<string,string>", 3: "clusterIP:string", 4: "type:string", 5: "externalIPs:[]string",
    7: "sessionAffinity:string", 8: "loadBalancerIP:string", 9: "loadBalancerSourceRanges:[]string", 10: "externalName:string",
    11: "externalTrafficPolicy:string", 12: "healthCheckNodePort:int", 13: "publishNotReadyAddresses:bool", 17: "ipFamilyPolicy:string",
    18: "clusterIPs:[]string", 19: "ipFamilies:[]string", 20: "allocateLoadBalancerNodePorts:bool", 21: "loadBalancerClass:string", 22: "internalTrafficPolicy:string",
  },
  ServicePort: { 1: "name:string", 2: "protocol:string", 3: "port:int", 4: "targetPort:intstr", 5: "nodePort:int", 6: "appProtocol:string" },
  ResourceQuota: { 1: "metadata:ObjectMeta", 2: "spec:ResourceQuotaSpec" },
  ResourceQuotaSpec: { 1: "hard:map<string,quantity>", 2: "scopes:[]string", 3: "scopeSelector:ScopeSelector" },
  ScopeSelector: { 1: "matchExpressions:[]ScopedResourceSelectorRequirement" },
  ScopedResourceSelectorRequirement: { 1: "scopeName:string", 2: "operator:string", 3: "values:[]string" },
  PodTemplateSpec: { 1: "metadata:ObjectMeta", 2: "spec:PodSpec" },
  PodSpec: {
    1: "volumes:[]Volume", 2: "containers:[]Container", 3: "restartPolicy:string", 4: "terminationGracePeriodSeconds:int", 5: "activeDeadlineSeconds:int",
    6: "dnsPolicy:string", 7: "nodeSelector:map<string,string>", 8: "serviceAccountName:string", 9: "serviceAccount:string", 10: "nodeName:string",
    11: "hostNetwork:bool", 12: "hostPID:bool", 13: "hostIPC:bool", 15: "imagePullSecrets:[]LocalObjectReference", 16: "hostname:string",
    17: "subdomain:string", 19: "schedulerName:string", 20: "initContainers:[]Container", 21: "automountServiceAccountToken:bool",
    22: "tolerations:[]Toleration", 24: "priorityClassName:string", 25: "priority:int", 30: "enableServiceLinks:bool", 31: "preemptionPolicy:string",
  },
  Container: {
    1: "name:string", 2: "image:string", 3: "command:[]string", 4: "args:[]string", 5: "workingDir:string", 6: "ports:[]ContainerPort",
    7: "env:[]EnvVar", 8: "resources:ResourceRequirements", 9: "volumeMounts:[]VolumeMount", 13: "terminationMessagePath:string",
    14: "imagePullPolicy:string", 16: "stdin:bool", 17: "stdinOnce:bool", 18: "tty:bool", 19: "envFrom:[]EnvFromSource",
    20: "terminationMessagePolicy:string", 24: "restartPolicy:string",
  },
  ContainerPort: { 1: "name:string", 2: "hostPort:int", 3: "containerPort:int", 4: "protocol:string", 5: "hostIP:string" },
  EnvVar: { 1: "name:string", 2: "value:string", 3: "valueFrom:EnvVarSource" },
  EnvVarSource: { 1: "fieldRef:ObjectFieldSelector", 2: "resourceFieldRef:ResourceFieldSelector", 3: "configMapKeyRef:ConfigMapKeySelector", 4: "secretKeyRef:SecretKeySelector" },
  ObjectFieldSelector: { 1: "apiVersion:string", 2: "fieldPath:string" },
  ResourceFieldSelector: { 1: "containerName:string", 2: "resource:string", 3: "divisor:quantity" },
  ConfigMapKeySelector: { 1: "~LocalObjectReference", 2: "key:string", 3: "optional:bool" },
  SecretKeySelector: { 1: "~LocalObjectReference", 2: "key:string", 3: "optional:bool" },
  EnvFromSource: { 1: "prefix:string", 2: "configMapRef:ConfigMapEnvSource", 3: "secretRef:SecretEnvSource" },
  ConfigMapEnvSource: { 1: "~LocalObjectReference", 2: "optional:bool" },
  SecretEnvSource: { 1: "~LocalObjectReference", 2: "optional:bool" },
  ResourceRequirements: { 1: "limits:map<string,quantity>", 2: "requests:map<string,quantity>" },
  VolumeMount: { 1: "name:string", 2: "readOnly:bool", 3: "mountPath:string", 4: "subPath:string", 5: "mountPropagation:string", 6: "subPathExpr:string" },
  Volume: { 1: "name:string", 2: "~VolumeSource" },
  VolumeSource: { 1: "hostPath:HostPathVolumeSource", 2: "emptyDir:EmptyDirVolumeSource", 6: "secret:SecretVolumeSource", 10: "persistentVolumeClaim:PersistentVolumeClaimVolumeSource", 19: "configMap:ConfigMapVolumeSource" },
  HostPathVolumeSource: { 1: "path:string", 2: "type:string" },
  EmptyDirVolumeSource: { 1: "medium:string", 2: "sizeLimit:quantity" },
  SecretVolumeSource: { 1: "secretName:string", 3: "defaultMode:int", 4: "optional:bool" },
  ConfigMapVolumeSource: { 1: "~LocalObjectReference", 3: "defaultMode:int", 4: "optional:bool" },
  PersistentVolumeClaimVolumeSource: { 1: "claimName:string", 2: "readOnly:bool" },
  Toleration: { 1: "key:string", 2: "operator:string", 3: "value:string", 4: "effect:string", 5: "tolerationSeconds:int" },
};

const groups: Record<string, MessageSchema> = {
  Deployment: { 1: "metadata:ObjectMeta", 2: "spec:DeploymentSpec" },
  DeploymentSpec: {
    1: "replicas:int!", 2: "selector:LabelSelector", 3: "template:PodTemplateSpec", 4: "strategy:DeploymentStrategy", 5: "minReadySeconds:int",
    6: "revisionHistoryLimit:int!", 7: "paused:bool", 9: "progressDeadlineSeconds:int",
  },
  DeploymentStrategy: { 1: "type:string", 2: "rollingUpdate:RollingUpdateDeployment" },
  RollingUpdateDeployment: { 1: "maxUnavailable:intstr", 2: "maxSurge:intstr" },
  Job: { 1: "metadata:ObjectMeta", 2: "spec:JobSpec" },
  JobSpec: {
    1: "parallelism:int!", 2: "completions:int!", 3: "activeDeadlineSeconds:int", 4: "selector:LabelSelector", 5: "manualSelector:bool",
    6: "template:PodTemplateSpec", 7: "backoffLimit:int!", 8: "ttlSecondsAfterFinished:int!", 9: "completionMode:string", 10: "suspend:bool",
  },
  CronJob: { 1: "metadata:ObjectMeta", 2: "spec:CronJobSpec" },
  CronJobSpec: {
    1: "schedule:string", 2: "startingDeadlineSeconds:int", 3: "concurrencyPolicy:string", 4: "suspend:bool", 5: "jobTemplate:JobTemplateSpec",
    6: "successfulJobsHistoryLimit:int!", 7: "failedJobsHistoryLimit:int!", 8: "timeZone:string",
  },
  JobTemplateSpec: { 1: "metadata:ObjectMeta", 2: "spec:JobSpec" },
  Ingress: { 1: "metadata:ObjectMeta", 2: "spec:IngressSpec" },
  IngressSpec: { 1: "defaultBackend:IngressBackend", 2: "tls:[]IngressTLS", 3: "rules:[]IngressRule", 4: "ingressClassName:string" },
  IngressTLS: { 1: "hosts:[]string", 2: "secretName:string" },
  IngressRule: { 1: "host:string", 2: "~IngressRuleValue" },
  IngressRuleValue: { 1: "http:HTTPIngressRuleValue" },
  HTTPIngressRuleValue: { 1: "paths:[]HTTPIngressPath" },
  HTTPIngressPath: { 1: "path:string", 2: "backend:IngressBackend", 3: "pathType:string" },
  IngressBackend: { 3: "resource:TypedLocalObjectReference", 4: "service:IngressServiceBackend" },
  TypedLocalObjectReference: { 1: "apiGroup:string", 2: "kind:string", 3: "name:string" },
  IngressServiceBackend: { 1: "name:string", 2: "port:ServiceBackendPort" },
  ServiceBackendPort: { 1: "name:string", 2: "number:int" },
  // kubectl certificate approve|deny sends the whole request back to the approval subresource.
  CertificateSigningRequest: { 1: "metadata:ObjectMeta", 2: "spec:CertificateSigningRequestSpec", 3: "status:CertificateSigningRequestStatus" },
  CertificateSigningRequestSpec: {
    1: "request:bytes", 2: "username:string", 3: "uid:string", 4: "groups:[]string", 5: "usages:[]string", 7: "signerName:string", 8: "expirationSeconds:int",
  },
  CertificateSigningRequestStatus: { 1: "conditions:[]CertificateSigningRequestCondition", 2: "certificate:bytes" },
  CertificateSigningRequestCondition: { 1: "type:string", 2: "reason:string", 3: "message:string", 4: "lastUpdateTime:time", 5: "lastTransitionTime:time", 6: "status:string" },
  PriorityClass: { 1: "metadata:ObjectMeta", 2: "value:int!", 3: "globalDefault:bool", 4: "description:string", 5: "preemptionPolicy:string" },
  Role: { 1: "metadata:ObjectMeta", 2: "rules:[]PolicyRule" },
  ClusterRole: { 1: "metadata:ObjectMeta", 2: "rules:[]PolicyRule" },
  PolicyRule: { 1: "verbs:[]string", 2: "apiGroups:[]string", 3: "resources:[]string", 4: "resourceNames:[]string", 5: "nonResourceURLs:[]string" },
  RoleBinding: { 1: "metadata:ObjectMeta", 2: "subjects:[]Subject", 3: "roleRef:RoleRef" },
  ClusterRoleBinding: { 1: "metadata:ObjectMeta", 2: "subjects:[]Subject", 3: "roleRef:RoleRef" },
  Subject: { 1: "kind:string", 2: "apiGroup:string", 3: "name:string", 4: "namespace:string" },
  RoleRef: { 1: "apiGroup:string", 2: "kind:string", 3: "name:string" },
  PodDisruptionBudget: { 1: "metadata:ObjectMeta", 2: "spec:PodDisruptionBudgetSpec" },
  PodDisruptionBudgetSpec: { 1: "minAvailable:intstr", 2: "selector:LabelSelector", 3: "maxUnavailable:intstr", 4: "unhealthyPodEvictionPolicy:string" },
  HorizontalPodAutoscaler: { 1: "metadata:ObjectMeta", 2: "spec:HorizontalPodAutoscalerSpec" },
  HorizontalPodAutoscalerSpec: { 1: "scaleTargetRef:CrossVersionObjectReference", 2: "minReplicas:int!", 3: "maxReplicas:int!", 4: "targetCPUUtilizationPercentage:int!" },
  CrossVersionObjectReference: { 1: "kind:string", 2: "name:string", 3: "apiVersion:string" },
  TokenRequest: { 1: "metadata:ObjectMeta", 2: "spec:TokenRequestSpec" },
  TokenRequestSpec: { 1: "audiences:[]string", 3: "boundObjectRef:BoundObjectReference", 4: "expirationSeconds:int" },
  BoundObjectReference: { 1: "kind:string", 2: "apiVersion:string", 3: "name:string", 4: "uid:string" },
  SelfSubjectAccessReview: { 1: "metadata:ObjectMeta", 2: "spec:SelfSubjectAccessReviewSpec" },
  SelfSubjectAccessReviewSpec: { 1: "resourceAttributes:ResourceAttributes", 2: "nonResourceAttributes:NonResourceAttributes" },
  ResourceAttributes: { 1: "namespace:string", 2: "verb:string", 3: "group:string", 4: "version:string", 5: "resource:string", 6: "subresource:string", 7: "name:string" },
  NonResourceAttributes: { 1: "path:string", 2: "verb:string" },
  SelfSubjectRulesReview: { 1: "metadata:ObjectMeta", 2: "spec:SelfSubjectRulesReviewSpec" },
  SelfSubjectRulesReviewSpec: { 1: "namespace:string" },
  SelfSubjectReview: { 1: "metadata:ObjectMeta" },
};

export const messages: Record<string, MessageSchema> = { ...meta, ...core, ...groups };
