/** Secrets: stringData folded into data, keys that are file names, at most 1 MiB, a fixed type; selectable by type. */
import type { Secret } from "kubernetes-types/core/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { configKey, immutable, immutableData, invalidValue, MAX_DATA_SIZE } from "../../../../api/validation.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

function validateSecret(o: Stored<Secret>): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(o.data ?? {})) {
    errs.push(...configKey(`data[${k}]`, k));
    if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) errs.push(invalidValue(`data[${k}]`, "<secret contents redacted>", "illegal base64 data"));
    else total += Buffer.byteLength(v, "base64");
  }
  if (total > MAX_DATA_SIZE) errs.push({ type: "FieldValueTooLong", field: "data", detail: `must have at most ${MAX_DATA_SIZE} bytes` });
  return errs;
}

const secretTable = tablePrinter<Stored<Secret>>([["Type"], ["Data", "integer"], ["Age"]], (o, now) => [o.type ?? "Opaque", Object.keys(o.data ?? {}).length, age(o.metadata.creationTimestamp, now)]);

export const secretStrategy: Strategy<Stored<Secret>> = {
  defaults(o) {
    o.type ??= "Opaque";
    // stringData is write-only: it lands in data, base64-encoded, and is never stored.
    if (o.stringData && typeof o.stringData === "object") {
      o.data ??= {};
      for (const [k, v] of Object.entries(o.stringData)) o.data[k] = Buffer.from(String(v)).toString("base64");
      delete o.stringData;
    }
  },
  validate: validateSecret,
  printer: secretTable,
  validateUpdate: (o, old) => [...immutableData(o, old), ...(o.type !== old.type ? [immutable("type", o.type)] : [])],
  fieldSelectors: ["type"],
};
