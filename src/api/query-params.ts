/**
 * Query parameters read as upstream's API server reads them into its options
 * structs (runtime.Convert_Slice_string_To_bool): a boolean present with any
 * value but "0" or "false" (any case) is true, so `watch=True` (what the
 * official Python client sends) and a bare `?watch` both watch.
 */
export function boolQueryParam(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null) return false;
  return !(v === "0" || v.toLowerCase() === "false");
}
