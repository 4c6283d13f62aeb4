/**
 * The emulator's answer to `response_format` json_object / json_schema: deterministic JSON that validates against
 * the schema (objects with every declared property, arrays of their minimum length or one item, enums, consts,
 * `$ref` into `$defs`, anyOf/oneOf/allOf, numeric and length bounds, common string formats), so callers' SDK helpers
 * such as `client.beta.chat.completions.parse` can be exercised. Pure. `pattern` is not solved: a string schema with
 * a pattern gets its example or default, else plain text.
 */

type Schema = Record<string, unknown>;

const FORMAT_EXAMPLES: Record<string, string> = {
  "date-time": "2026-01-01T00:00:00Z",
  date: "2026-01-01",
  time: "00:00:00Z",
  email: "someone@example.com",
  uri: "https://example.com/",
  url: "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
  ipv4: "192.0.2.1",
  hostname: "example.com",
};

/** The JSON text the emulated model writes for a response format, or undefined for free text. */
export function jsonAnswer(format: unknown, userText: string): string | undefined {
  const { type, json_schema: jsonSchema } = (format ?? {}) as { type?: string; json_schema?: { schema?: Schema } };
  if (type === "json_object") return JSON.stringify({ answer: userText });
  if (type !== "json_schema" || !jsonSchema?.schema) return undefined;
  const root = jsonSchema.schema;
  return JSON.stringify(valueFor(root, root, userText, 0));
}

function valueFor(schema: unknown, root: Schema, hint: string, depth: number): unknown {
  if (typeof schema !== "object" || schema === null || depth > 32) return null;
  const s = schema as Schema;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if ("default" in s) return s.default;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (typeof s.$ref === "string") return valueFor(resolve(s.$ref, root), root, hint, depth + 1);
  for (const key of ["anyOf", "oneOf"] as const) {
    const branches = s[key];
    if (Array.isArray(branches) && branches.length > 0) {
      const chosen = branches.find((b) => (b as Schema)?.type !== "null") ?? branches[0];
      return valueFor(chosen, root, hint, depth + 1);
    }
  }
  if (Array.isArray(s.allOf)) return valueFor(mergeAll(s, root), root, hint, depth + 1);
  switch (typeOf(s)) {
    case "object":
      return objectFor(s, root, depth);
    case "array":
      return arrayFor(s, root, hint, depth);
    case "integer":
      return numberFor(s, true);
    case "number":
      return numberFor(s, false);
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return stringFor(s, hint);
  }
}

function typeOf(s: Schema): string {
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== "null") ?? "null") : s.type;
  if (typeof type === "string") return type;
  if (s.properties || s.required || s.additionalProperties !== undefined) return "object";
  if (s.items || s.prefixItems) return "array";
  return "string";
}

function objectFor(s: Schema, root: Schema, depth: number): Record<string, unknown> {
  const properties = (s.properties ?? {}) as Record<string, unknown>;
  const order = Array.isArray(s.propertyOrdering) ? (s.propertyOrdering as string[]) : Object.keys(properties);
  const out: Record<string, unknown> = {};
  for (const key of order) {
    if (key in properties) out[key] = valueFor(properties[key], root, `emulated ${key}`, depth + 1);
  }
  for (const key of (s.required ?? []) as string[]) {
    if (!(key in out)) out[key] = valueFor(extraSchema(s), root, `emulated ${key}`, depth + 1);
  }
  return out;
}

/** The schema of a property that is required but not declared: additionalProperties', else any string. */
function extraSchema(s: Schema): unknown {
  return typeof s.additionalProperties === "object" ? s.additionalProperties : { type: "string" };
}

function arrayFor(s: Schema, root: Schema, hint: string, depth: number): unknown[] {
  const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : [];
  const min = typeof s.minItems === "number" ? s.minItems : 1;
  const max = typeof s.maxItems === "number" ? s.maxItems : Number.POSITIVE_INFINITY;
  const count = Math.min(Math.max(min, 1, prefix.length), max);
  const items = Array.isArray(s.items) ? undefined : s.items;
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const itemSchema = i < prefix.length ? prefix[i] : (items ?? { type: "string" });
    // uniqueItems: vary the hint so strings differ; numbers vary through their position below.
    out.push(uniqueVariant(valueFor(itemSchema, root, `${hint} ${i + 1}`, depth + 1), i, s.uniqueItems === true));
  }
  return out;
}

function uniqueVariant(value: unknown, index: number, unique: boolean): unknown {
  if (!unique || index === 0) return value;
  return typeof value === "number" ? value + index : value;
}

function numberFor(s: Schema, integer: boolean): number {
  const min = numeric(s.minimum) ?? (numeric(s.exclusiveMinimum) ?? Number.NEGATIVE_INFINITY) + (integer ? 1 : 0.5);
  const max = numeric(s.maximum) ?? (numeric(s.exclusiveMaximum) ?? Number.POSITIVE_INFINITY) - (integer ? 1 : 0.5);
  let value = Math.min(Math.max(1, min), max);
  if (integer) value = Math.ceil(value);
  const step = numeric(s.multipleOf);
  if (step) value = Math.ceil(value / step) * step;
  return value;
}

function numeric(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function stringFor(s: Schema, hint: string): string {
  const format = typeof s.format === "string" ? FORMAT_EXAMPLES[s.format] : undefined;
  let text = format ?? hint;
  const min = numeric(s.minLength) ?? 0;
  const max = numeric(s.maxLength) ?? Number.POSITIVE_INFINITY;
  while (text.length < min) text += "x";
  return text.slice(0, max);
}

function resolve(ref: string, root: Schema): unknown {
  if (ref === "#") return root;
  const path = ref.replace(/^#\//, "").split("/");
  let node: unknown = root;
  for (const key of path) node = (node as Schema | undefined)?.[key.replace(/~1/g, "/").replace(/~0/g, "~")];
  return node;
}

/** allOf: one schema with every branch's properties and requirements (resolving `$ref` branches). */
function mergeAll(s: Schema, root: Schema): Schema {
  const merged: Schema = { ...s, allOf: undefined, properties: { ...(s.properties as object) } };
  const required = new Set<string>((s.required ?? []) as string[]);
  for (const branch of s.allOf as unknown[]) {
    const b = (
      typeof (branch as Schema)?.$ref === "string" ? resolve((branch as Schema).$ref as string, root) : branch
    ) as Schema | undefined;
    if (!b) continue;
    Object.assign(merged.properties as object, b.properties);
    for (const key of (b.required ?? []) as string[]) required.add(key);
    if (b.type && !merged.type) merged.type = b.type;
  }
  merged.required = [...required];
  delete merged.allOf;
  return merged;
}
