/** Kubernetes' wire forms of time: metav1.Time (RFC 3339, seconds) and MicroTime (microseconds). */
export function rfc3339(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function microTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace("Z", "000Z");
}

/** Go's time.RFC3339Nano as Kubernetes writes it in annotations: the fraction without trailing zeros, none for whole seconds. */
export function rfc3339Nano(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : "Z"));
}
