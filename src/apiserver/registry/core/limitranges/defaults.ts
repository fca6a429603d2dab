/**
 * Upstream's SetDefaults_LimitRangeItem: a Container limit's default limit
 * falls back to its max, and its default request to the default limit, then
 * to its min. So a LimitRange that only caps containers also gives each of
 * them that much when they say nothing.
 */
import type { LimitRange } from "kubernetes-types/core/v1.js";

export function defaultLimitRange(lr: LimitRange): void {
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== "Container") continue;
    const defaults = (item.default ??= {});
    const defaultRequests = (item.defaultRequest ??= {});
    for (const [k, v] of Object.entries(item.max ?? {})) defaults[k] ??= v;
    for (const [k, v] of Object.entries(defaults)) defaultRequests[k] ??= v;
    for (const [k, v] of Object.entries(item.min ?? {})) defaultRequests[k] ??= v;
    // Empty maps are left out on the wire, as upstream's omitempty does.
    if (!Object.keys(defaults).length) delete item.default;
    if (!Object.keys(defaultRequests).length) delete item.defaultRequest;
  }
}
