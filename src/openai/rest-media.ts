/**
 * The media parts of the OpenAI-compatible body → the contract's parts: `image_url` (a URL, or a data: URI of any
 * medium), `input_audio`, OpenAI's `file`, generated media sent back (`message.audio`) and tool-result `file_data`.
 * Each goes to the part kind Vertex reads its MIME type as; inline bytes follow Vertex's base64 rule. Pure.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContentPartSchema, MediaSchema } from "../../gen/vertexchat/v1/content_pb.ts";
import { toEnum, wireImageDetail } from "../translate/enum-maps.ts";
import { isVertexBase64, OPENAI_AUDIO_FORMATS, parseDataUri, partKindOf } from "../wire/vertex-media.ts";
import { extraGoogle, fail, given, type JsonRecord, oneOf, onlyKeys, record, text } from "./json-reader.ts";

export type PartInit = MessageInitShape<typeof ContentPartSchema>;
type MediaInit = MessageInitShape<typeof MediaSchema>;

/** `image_url` as an object or (as Google's samples send it) a bare string: a URL, or a data: URI of any medium. */
export function imageUrl(value: unknown, at: string): PartInit {
  const image = typeof value === "string" ? { url: value } : record(value, at);
  onlyKeys(image, at, ["url", "detail"]);
  const url = text(image.url, `${at}.url`);
  const out = url.startsWith("data:")
    ? dataUri(url, `${at}.url`)
    : { kind: { case: "image" as const, value: { source: { case: "uri" as const, value: url } } } };
  if (given(image.detail)) {
    out.mediaResolution = toEnum(wireImageDetail, oneOf(image.detail, `${at}.detail`, ["low", "high", "auto"]));
  }
  return out;
}

function dataUri(uri: string, at: string): PartInit {
  const parsed = parseDataUri(uri);
  if (!parsed) fail(at, "a data: URI must be data:<MIME type>;base64,<bytes>", "INVALID_DATA_URI");
  return mediaPart(parsed.mimeType, inlineBytes(parsed.base64, at), at);
}

/** Inline bytes by Vertex's base64 rule (padded, standard alphabet): what Vertex would refuse is refused here. */
export function inlineBytes(value: string, at: string): Uint8Array {
  if (!isVertexBase64(value)) fail(at, "the bytes are not valid base64 (standard alphabet, padded)", "INVALID_BASE64");
  return Buffer.from(value, "base64");
}

/** Media of a MIME type, as the part kind Vertex reads it as (vertex-media's partKindOf). */
export function mediaPart(mimeType: string, source: Uint8Array | string, at: string): PartInit {
  if (!mimeType) fail(at, "the MIME type is missing; write data:<MIME type>;base64,…", "REQUIRED");
  const media: MediaInit = {
    source: typeof source === "string" ? { case: "uri", value: source } : { case: "data", value: source },
    mimeType: mimeType.toLowerCase(),
  };
  return { kind: { case: partKindOf(mimeType), value: media } };
}

export function inputAudio(audio: JsonRecord, at: string): PartInit {
  onlyKeys(audio, at, ["data", "format"]);
  const data = text(audio.data, `${at}.data`);
  const format = text(audio.format, `${at}.format`);
  // A short name OpenAI's SDKs use, or a MIME type (Google's examples send `audio/mp3`).
  const mimeType = OPENAI_AUDIO_FORMATS[format] ?? format;
  if (!mimeType.includes("/"))
    fail(`${at}.format`, `${JSON.stringify(format)} is not wav, mp3 or a MIME type such as audio/ogg`, "UNKNOWN_VALUE");
  if (/^(gs|https?):\/\//.test(data)) return mediaPart(mimeType, data, `${at}.data`);
  return mediaPart(mimeType, inlineBytes(data, `${at}.data`), `${at}.data`);
}

/** OpenAI's `file` part: inline bytes as a data: URI (there is no Files API to take a file_id from). */
export function file(value: JsonRecord, at: string): PartInit {
  onlyKeys(value, at, ["file_data", "filename", "file_id"]);
  if (given(value.file_id))
    fail(
      `${at}.file_id`,
      "there is no Files API here; send the bytes in file_data as a data: URI, or a gs:// URI in input_audio",
      "UNSUPPORTED",
    );
  const out = dataUri(text(value.file_data, `${at}.file_data`), `${at}.file_data`);
  if (given(value.filename) && out.kind?.case && out.kind.case !== "text") {
    (out.kind.value as MediaInit).displayName = text(value.filename, `${at}.filename`);
  }
  return out;
}

/** Generated media as Vertex returns it (`message.audio`), sent back in a history. */
export function generatedMedia(audio: JsonRecord, at: string): PartInit {
  onlyKeys(audio, at, ["data", "extra_content", "id", "expires_at", "transcript"]);
  const google = extraGoogle(audio.extra_content, `${at}.extra_content`, ["mime_type"]);
  const mimeType = given(google.mime_type)
    ? text(google.mime_type, `${at}.extra_content.google.mime_type`)
    : "image/png";
  return mediaPart(mimeType, inlineBytes(text(audio.data, `${at}.data`), `${at}.data`), `${at}.data`);
}

export function fileDataPart(value: unknown, at: string): PartInit {
  const p = record(value, at);
  onlyKeys(p, at, ["file_data"]);
  const data = record(p.file_data, `${at}.file_data`);
  onlyKeys(data, `${at}.file_data`, ["mime_type", "file_uri", "display_name"]);
  const out = mediaPart(
    text(data.mime_type, `${at}.file_data.mime_type`),
    text(data.file_uri, `${at}.file_data.file_uri`),
    at,
  );
  if (given(data.display_name) && out.kind?.case && out.kind.case !== "text") {
    (out.kind.value as MediaInit).displayName = text(data.display_name, `${at}.file_data.display_name`);
  }
  return out;
}
