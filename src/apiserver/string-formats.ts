/**
 * The string formats a CRD schema's `format` is checked against, as the
 * apiextensions apiserver checks them (kube-openapi's strfmt registry). A
 * format not listed here is not checked, as upstream ignores formats it does
 * not support; numeric formats (int32, int64, float, double) say nothing
 * about a string. Where strfmt parses leniently (date-time takes several
 * layouts), these accept at least what it accepts rather than refuse a valid
 * object.
 */
import { isIPv4, isIPv6 } from "node:net";

const dateTime = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/;
const fullDate = /^\d{4}-\d{2}-\d{2}$/;
const uuid = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A calendar date that exists (2026-02-30 does not). */
function realDate(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split("-").map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

const checks: Record<string, (s: string) => boolean> = {
  "date-time": (s) => dateTime.test(s) && realDate(s),
  datetime: (s) => dateTime.test(s) && realDate(s),
  date: (s) => fullDate.test(s) && realDate(s),
  uuid: (s) => uuid.test(s),
  byte: (s) => base64.test(s),
  ipv4: (s) => isIPv4(s),
  ipv6: (s) => isIPv6(s),
};

/** Whether value is of the string format; true for formats not checked. */
export function matchesFormat(format: string, value: string): boolean {
  const check = checks[format];
  return check === undefined || check(value);
}
