/**
 * Whether a JSON Schema the caller sends (tool parameters, a json_schema response format) is a schema at all,
 * checked against the JSON Schema 2020-12 meta-schema by Ajv, with the path inside the schema of each problem.
 * Keywords the meta-schema does not know (OpenAPI's `nullable`, `propertyOrdering`) are allowed, as Vertex allows
 * them. Shared by the gateway's request rules and the emulator's checks, so both hold a schema to the same rule.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { Ajv2020 } from "ajv/dist/2020.js";

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });

export interface SchemaProblem {
  /** Where inside the schema, as a field path suffix: `.properties`, `.properties["zip code"].type`. */
  path: string;
  message: string;
}

export function schemaProblems(schema: JsonObject): SchemaProblem[] {
  if (ajv.validateSchema(schema)) return [];
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const error of ajv.errors ?? []) {
    // "must match a schema in anyOf" only repeats what its branches said; the first problem at a place says it.
    if (error.keyword === "anyOf" || error.keyword === "oneOf") continue;
    const path = fieldPath(error.instancePath);
    if (seen.has(path)) continue;
    seen.add(path);
    problems.push({ path, message: `${error.message ?? "is not valid"}${describeParams(error.params)}` });
  }
  return problems;
}

function describeParams(params: Record<string, unknown>): string {
  if (Array.isArray(params.allowedValues)) return ` (${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")})`;
  return "";
}

/** `/properties/zip code/type` → `.properties["zip code"].type` (JSON pointer to the contract's path style). */
function fieldPath(pointer: string): string {
  if (!pointer) return "";
  return pointer
    .slice(1)
    .split("/")
    .map((raw) => raw.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((key) =>
      /^\d+$/.test(key) ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`,
    )
    .join("");
}
