/** LimitRanges: upstream's defaults (a limit from max, a request from the limit or min) and validation. */
import type { LimitRange } from "kubernetes-types/core/v1.js";
import { tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";
import { defaultLimitRange } from "./defaults.js";
import { validateLimitRange } from "./validation.js";

const limitRangeTable = tablePrinter<Stored<LimitRange>>([["Created At", "date"]], (o) => [o.metadata.creationTimestamp ?? ""]);

export const limitRangeStrategy: Strategy<Stored<LimitRange>> = {
  printer: limitRangeTable,
  defaults: (o) => defaultLimitRange(o as LimitRange),
  validate: (o) => validateLimitRange(o as LimitRange),
};
