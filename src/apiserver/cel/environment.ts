/**
 * The CEL environment rules compile in: the library's standard functions and
 * macros, optional types (for optionalOldSelf and `.?field`), and
 * Kubernetes' libraries, with the declared types of one schema.
 */
import { Environment } from "@marcbachmann/cel-js";
import { registerAuthz } from "./library/authz.js";
import { registerIP } from "./library/ip.js";
import { registerLists } from "./library/lists.js";
import { registerQuantity } from "./library/quantity.js";
import { registerRegex } from "./library/regex.js";
import { registerStrings } from "./library/strings.js";
import { registerURL } from "./library/url.js";
import type { SchemaTypes } from "./types.js";

/** Upstream's bounds on an expression's parse (cel-go's default limits on nesting and size). */
const LIMITS = { maxAstNodes: 100000, maxDepth: 250, maxListElements: 100000, maxMapEntries: 100000, maxCallArguments: 32 };

/** A base environment with every type of the schema declared; clone it to bind self and oldSelf. */
export function baseEnvironment(types: SchemaTypes): Environment {
  const env = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false, limits: LIMITS });
  registerLists(env);
  registerRegex(env);
  registerQuantity(env);
  registerURL(env);
  registerIP(env);
  registerStrings(env);
  registerAuthz(env);
  types.declare(env);
  return env;
}
