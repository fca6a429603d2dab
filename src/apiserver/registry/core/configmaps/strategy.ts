/** ConfigMaps: keys that are file names, in data or binaryData but not both, at most 1 MiB in all. */
import type { ConfigMap } from "kubernetes-types/core/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { configKey, immutableData, invalidValue, MAX_DATA_SIZE } from "../../../../api/validation.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

function validateConfigMap(o: Stored<ConfigMap>): FieldError[] {
  const errs: FieldError[] = [];
  const data = o.data ?? {};
  const binary = o.binaryData ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...configKey(`data[${k}]`, k));
    if (Object.hasOwn(binary, k)) errs.push(invalidValue(`data[${k}]`, k, "duplicate of key present in binaryData"));
    if (typeof v === "string") total += Buffer.byteLength(v);
  }
  for (const [k, v] of Object.entries(binary)) {
    errs.push(...configKey(`binaryData[${k}]`, k));
    if (Object.hasOwn(data, k)) errs.push(invalidValue(`binaryData[${k}]`, k, "duplicate of key present in data"));
    if (typeof v === "string") total += Buffer.byteLength(v, "base64");
  }
  // Upstream names the whole object with an empty path, which prints as "[]".
  if (total > MAX_DATA_SIZE) errs.push({ type: "FieldValueTooLong", field: "[]", detail: `must have at most ${MAX_DATA_SIZE} bytes` });
  return errs;
}

const configMapTable = tablePrinter<Stored<ConfigMap>>([["Data", "integer"], ["Age"]], (o, now) => [Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o.metadata.creationTimestamp, now)]);

export const configMapStrategy: Strategy<Stored<ConfigMap>> = {
  validate: validateConfigMap,
  printer: configMapTable,
  validateUpdate: immutableData,
};
