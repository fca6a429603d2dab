/** RuntimeClasses: a handler fixed once written, and the HANDLER column. */
import type { RuntimeClass } from "kubernetes-types/node/v1.js";
import { immutable } from "../../../../api/validation.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";
import { validateRuntimeClass } from "./validation.js";

const runtimeClassTable = tablePrinter<Stored<RuntimeClass>>(
  [["Handler"], ["Age"]],
  (o, now) => [o.handler ?? "", age(o.metadata.creationTimestamp, now)],
);

export const runtimeClassStrategy: Strategy<Stored<RuntimeClass>> = {
  validate: (o) => validateRuntimeClass(o as RuntimeClass),
  validateUpdate: (o, old) => (o.handler !== old.handler ? [immutable("handler", o.handler)] : []),
  printer: runtimeClassTable,
};
