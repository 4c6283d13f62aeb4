/**
 * Turns protobuf-es's Connect JSON decoding errors into messages that say what to write instead: the nearest known
 * field for an unknown key, the contract's spelling of an enum value or a field OpenAI spells differently
 * (`"role":"user"`, `"content":"hi"`, `"tool_choice":"auto"`). Pure: it reads only the message and the schema.
 */
import type { DescEnum, DescMessage } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import { nearestName } from "../config/nearest-name.ts";

/** A better message for a JSON decoding error of a request of type `root`, or undefined to keep the original. */
function explainJsonDecodeError(message: string, root: DescMessage): string | undefined {
  const unknownKey = /^cannot decode message (\S+) from JSON: key "(.*)" is unknown$/.exec(message);
  if (unknownKey) {
    const desc = findMessage(root, unknownKey[1] ?? "");
    if (desc) return unknownField(desc, unknownKey[2] ?? "");
  }
  const badEnum = /^cannot decode enum (\S+) from JSON: (.*)$/.exec(message);
  if (badEnum) {
    const types = walk(root);
    const desc = types.enums.get(badEnum[1] ?? "");
    if (desc) return enumValue(desc, badEnum[2] ?? "", [...(types.enumFields.get(desc.typeName) ?? [])]);
  }
  const scalarForMessage = /^cannot decode message (\S+) from JSON: (".*")$/.exec(message);
  if (scalarForMessage) {
    const types = walk(root);
    const desc = types.messages.get(scalarForMessage[1] ?? "");
    const fields = [...(types.messageFields.get(desc?.typeName ?? "") ?? [])];
    const given = jsonString(scalarForMessage[2] ?? "");
    if (desc && given !== undefined) return messageGivenString(desc, given, fields);
  }
  const notList = /^cannot decode field (\S+)\.(\w+) from JSON: expected Array, got (.*)$/.exec(message);
  if (notList) {
    const desc = findMessage(root, notList[1] ?? "");
    const field = desc?.fields.find((f) => f.name === notList[2] || f.jsonName === notList[2]);
    if (desc && field) return listGivenScalar(desc, field.name, notList[3] ?? "");
  }
  return undefined;
}

function unknownField(desc: DescMessage, key: string): string {
  const known = desc.fields.flatMap((f) => (f.jsonName === f.name ? [f.name] : [f.name, f.jsonName]));
  const near = nearestName(key, known);
  const hint = near ? `did you mean "${near}"?` : `its fields are ${desc.fields.map((f) => `"${f.name}"`).join(", ")}`;
  return `unknown field "${key}" in ${desc.typeName}: ${hint} (unknown fields are refused rather than dropped; VERTEXCHAT_UNKNOWN_JSON_FIELDS=ignore drops them)`;
}

/** The string a JSON string literal stands for; undefined for anything else (the decoder quotes what it saw). */
function jsonString(literal: string): string | undefined {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `fields`: the JSON names of the fields of this enum type, to show the whole spelling when there is one. */
function enumValue(desc: DescEnum, given: string, fields: string[]): string {
  const values = desc.values.filter((v) => v.number !== 0).map((v) => v.name);
  const word = jsonString(given);
  const spelt = word === undefined ? undefined : contractSpelling(desc, word);
  const field = fields.length === 1 ? fields[0] : undefined;
  const hint = !spelt
    ? `use one of ${values.map((v) => `"${v}"`).join(", ")}`
    : field
      ? `the contract spells it "${field}":"${spelt}"`
      : `the contract spells it "${spelt}"`;
  return `${given} is not a value of ${desc.typeName}: ${hint}`;
}

/** `"user"` → `ROLE_USER` for enum Role: the value whose name, without the enum's prefix, is the given word. */
function contractSpelling(desc: DescEnum, word: string): string | undefined {
  const wanted = word.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  return (
    desc.values.find((v) => v.number !== 0 && v.name.slice(desc.sharedPrefix?.length ?? 0) === wanted)?.name ??
    desc.values.find((v) => v.number !== 0 && v.name.endsWith(`_${wanted}`))?.name
  );
}

function messageGivenString(desc: DescMessage, given: string, fields: string[]): string {
  const prefix = fields.length === 1 ? `"${fields[0]}":` : "";
  // A string where the contract has a message: OpenAI's string forms of tool_choice and the like.
  for (const field of desc.fields) {
    if (field.fieldKind !== "enum") continue;
    const spelt = contractSpelling(field.enum, given);
    if (spelt) {
      return `${desc.typeName} is an object, not the string ${JSON.stringify(given)}: write ${prefix}{"${field.name}":"${spelt}"}`;
    }
  }
  const names = desc.fields.map((f) => `"${f.jsonName}"`).join(", ");
  return `${desc.typeName} is an object, not the string ${JSON.stringify(given)}: write an object with one of ${names}`;
}

function listGivenScalar(desc: DescMessage, field: string, given: string): string {
  if (desc.typeName.endsWith(".Message") && field === "content") {
    return `${desc.typeName}.content is a list of parts, not ${given}: write "content":[{"text":${given}}]`;
  }
  return `${desc.typeName}.${field} is a list, not ${given}: write "${field}":[…]`;
}

function findMessage(root: DescMessage, typeName: string): DescMessage | undefined {
  return walk(root).messages.get(typeName);
}

interface Types {
  messages: Map<string, DescMessage>;
  enums: Map<string, DescEnum>;
  /** Enum type name → JSON names of the fields of that type. */
  enumFields: Map<string, Set<string>>;
  /** Message type name → names of the fields of that type. */
  messageFields: Map<string, Set<string>>;
}

const cache = new WeakMap<DescMessage, Types>();

/** Every message and enum reachable from `root` through its fields. */
function walk(root: DescMessage): Types {
  const cached = cache.get(root);
  if (cached) return cached;
  const types: Types = { messages: new Map(), enums: new Map(), enumFields: new Map(), messageFields: new Map() };
  const visit = (desc: DescMessage) => {
    if (types.messages.has(desc.typeName)) return;
    types.messages.set(desc.typeName, desc);
    for (const field of desc.fields) {
      if (field.message) {
        const names = types.messageFields.get(field.message.typeName) ?? new Set();
        types.messageFields.set(field.message.typeName, names.add(field.name));
        visit(field.message);
      }
      if (field.enum) {
        types.enums.set(field.enum.typeName, field.enum);
        const names = types.enumFields.get(field.enum.typeName) ?? new Set();
        types.enumFields.set(field.enum.typeName, names.add(field.name));
      }
    }
  };
  visit(root);
  cache.set(root, types);
  return types;
}

/**
 * Rewrites, in place, the message of a decoding error Connect made (it is the object Connect goes on to send): the
 * explanation replaces protobuf-es's wording, which stays at the end for reference.
 */
export function explainInPlace(error: ConnectError, root: DescMessage): void {
  if (error.code !== Code.InvalidArgument) return;
  const better = explainJsonDecodeError(error.rawMessage, root);
  if (!better) return;
  const explained = `${better} [decoder: ${error.rawMessage}]`;
  // `message` is rawMessage behind Connect's code prefix: change only the text.
  Object.assign(error, { rawMessage: explained, message: error.message.replace(error.rawMessage, explained) });
}
