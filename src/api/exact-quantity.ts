/**
 * A resource quantity held exactly, as upstream's resource.Quantity: a
 * mantissa times a power of ten (finer than nano rounds up at parse), the
 * format its text was written in, and upstream's canonical text ("1000m" is
 * "1", "1024Mi" is "1Gi", "0.5" is "500m"), which is how upstream's messages
 * print quantities. parseQuantity in quantity.ts is the fast float reading
 * for sums; this one is for comparisons and messages that must be exact.
 */
export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

const BINARY_POWERS: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const BINARY_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
const DECIMAL_EXPONENTS: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_SUFFIXES = new Map(Object.entries(DECIMAL_EXPONENTS).map(([s, e]) => [e, s]));
const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** Upstream's MaxMilliValue: beyond it, comparisons are made in whole units, not milli-units. */
export const MAX_MILLI_VALUE = 9223372036854775n;

const pow10 = (n: number) => 10n ** BigInt(n);
/** a / b rounded towards +infinity (b > 0). */
const ceilDiv = (a: bigint, b: bigint) => (a >= 0n ? (a + b - 1n) / b : a / b);
const abs = (a: bigint) => (a < 0n ? -a : a);

export class ExactQuantity {
  private constructor(readonly mantissa: bigint, readonly exponent: number, readonly format: QuantityFormat) {}

  static readonly zero = new ExactQuantity(0n, 0, "DecimalSI");

  /** The quantity a string (or a JSON number) states; undefined when it is not one. */
  static parse(text: string | number): ExactQuantity | undefined {
    const m = QUANTITY.exec(typeof text === "number" ? String(text) : text.trim());
    if (!m) return undefined;
    const [, sign, whole = "", fraction = "", exp, suffix] = m;
    if (!whole && !fraction) return undefined;
    let mantissa = BigInt(whole + fraction || "0") * (sign === "-" ? -1n : 1n);
    let exponent = -fraction.length;
    let format: QuantityFormat = "DecimalSI";
    if (exp !== undefined) {
      exponent += Number(exp);
      format = "DecimalExponent";
    } else if (suffix && BINARY_POWERS[suffix]) {
      mantissa *= 1024n ** BigInt(BINARY_POWERS[suffix]);
      format = "BinarySI";
    } else {
      exponent += DECIMAL_EXPONENTS[suffix ?? ""]!;
    }
    if (exponent < -9) {
      mantissa = ceilDiv(mantissa, pow10(-9 - exponent));
      exponent = -9;
    }
    return new ExactQuantity(mantissa, exponent, format);
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than other. */
  cmp(other: ExactQuantity): number {
    const e = Math.min(this.exponent, other.exponent);
    const a = this.mantissa * pow10(this.exponent - e);
    const b = other.mantissa * pow10(other.exponent - e);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** The sum, in this quantity's format (as upstream's Add keeps the receiver's). */
  add(other: ExactQuantity): ExactQuantity {
    const e = Math.min(this.exponent, other.exponent);
    return new ExactQuantity(this.mantissa * pow10(this.exponent - e) + other.mantissa * pow10(other.exponent - e), e, this.format);
  }

  /** The value in thousandths, rounded up (upstream's MilliValue). */
  milliValue(): bigint {
    return this.scaled(-3);
  }

  /** The value in whole units, rounded up (upstream's Value). */
  value(): bigint {
    return this.scaled(0);
  }

  private scaled(scale: number): bigint {
    const shift = this.exponent - scale;
    return shift >= 0 ? this.mantissa * pow10(shift) : ceilDiv(this.mantissa, pow10(-shift));
  }

  /** Upstream's canonical text. */
  toString(): string {
    if (this.mantissa === 0n) return "0";
    let format = this.format;
    const whole = this.exponent >= 0 ? this.mantissa * pow10(this.exponent) : undefined;
    const exactWhole = whole ?? (this.mantissa % pow10(-this.exponent) === 0n ? this.mantissa / pow10(-this.exponent) : undefined);
    // Small or fractional binary amounts read better, and lose nothing, in decimal.
    if (format === "BinarySI" && (exactWhole === undefined || abs(exactWhole) < 1024n)) format = "DecimalSI";
    if (format === "BinarySI") {
      let n = exactWhole!;
      let power = 0;
      while (power < 6 && n % 1024n === 0n) { n /= 1024n; power++; }
      return `${n}${BINARY_SUFFIXES[power]}`;
    }
    let mantissa = this.mantissa;
    let exponent = this.exponent;
    while (mantissa % 10n === 0n) { mantissa /= 10n; exponent++; }
    const down = ((exponent % 3) + 3) % 3;
    if (down) { mantissa *= pow10(down); exponent -= down; }
    if (format === "DecimalSI") {
      const suffix = DECIMAL_SUFFIXES.get(exponent);
      if (suffix !== undefined) return `${mantissa}${suffix}`;
    }
    return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  }
}
