/**
 * Kubernetes' CEL quantity library (library/quantity.go): quantity("1Gi"),
 * isQuantity, comparisons and arithmetic on resource quantities, exact as
 * upstream's resource.Quantity.
 */
import type { Environment } from "@marcbachmann/cel-js";
import { ExactQuantity } from "../../../api/exact-quantity.js";

/** A quantity as a CEL value (its own type, so quantities compare only with quantities). */
export class Quantity {
  constructor(readonly q: ExactQuantity) {}
}

function parse(s: string): Quantity {
  const q = ExactQuantity.parse(s);
  if (!q) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  return new Quantity(q);
}

const fromInt = (n: bigint) => ExactQuantity.parse(String(n))!;
const negate = (q: ExactQuantity) => {
  const t = q.toString();
  return ExactQuantity.parse(t.startsWith("-") ? t.slice(1) : `-${t}`)!;
};
const pow10 = (n: number) => 10n ** BigInt(n);
const isInteger = (q: ExactQuantity) => q.exponent >= 0 || q.mantissa % pow10(-q.exponent) === 0n;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;

export function registerQuantity(env: Environment): void {
  env.registerType("Quantity", Quantity);
  env.registerOperator("Quantity == Quantity", (a: Quantity, b: Quantity) => a.q.cmp(b.q) === 0);
  env.registerFunction("quantity(string): Quantity", parse);
  env.registerFunction("isQuantity(string): bool", (s: string) => ExactQuantity.parse(s) !== undefined);
  env.registerFunction("Quantity.sign(): int", (a: Quantity) => BigInt(a.q.cmp(ExactQuantity.zero)));
  env.registerFunction("Quantity.isInteger(): bool", (a: Quantity) => {
    if (!isInteger(a.q)) return false;
    const v = a.q.value();
    return v >= INT64[0] && v <= INT64[1];
  });
  env.registerFunction("Quantity.asInteger(): int", (a: Quantity) => {
    const v = a.q.value();
    if (!isInteger(a.q) || v < INT64[0] || v > INT64[1]) throw new Error("cannot convert value to integer");
    return v;
  });
  env.registerFunction("Quantity.asApproximateFloat(): double", (a: Quantity) => Number(a.q.mantissa) * 10 ** a.q.exponent);
  env.registerFunction("Quantity.compareTo(Quantity): int", (a: Quantity, b: Quantity) => BigInt(a.q.cmp(b.q)));
  env.registerFunction("Quantity.isLessThan(Quantity): bool", (a: Quantity, b: Quantity) => a.q.cmp(b.q) < 0);
  env.registerFunction("Quantity.isGreaterThan(Quantity): bool", (a: Quantity, b: Quantity) => a.q.cmp(b.q) > 0);
  env.registerFunction("Quantity.add(Quantity): Quantity", (a: Quantity, b: Quantity) => new Quantity(a.q.add(b.q)));
  env.registerFunction("Quantity.add(int): Quantity", (a: Quantity, b: bigint) => new Quantity(a.q.add(fromInt(b))));
  env.registerFunction("Quantity.sub(Quantity): Quantity", (a: Quantity, b: Quantity) => new Quantity(a.q.add(negate(b.q))));
  env.registerFunction("Quantity.sub(int): Quantity", (a: Quantity, b: bigint) => new Quantity(a.q.add(fromInt(-b))));
}
