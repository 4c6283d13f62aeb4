/**
 * What Vertex's Gemini models accept as media: MIME types by kind and the inline size limits. One owner for
 * both sides that need it: the gateway's request rules and the emulator's checks.
 */

export type MediaKind = "image" | "audio" | "video" | "document";

/** The MIME types Vertex's Gemini models accept, by part kind. */
export const VERTEX_MIME_TYPES: Record<MediaKind, readonly string[]> = {
  image: ["image/png", "image/jpeg", "image/jpg", "image/webp", "image/heic", "image/heif"],
  audio: [
    "audio/wav",
    "audio/x-wav",
    "audio/mp3",
    "audio/mpeg",
    "audio/aiff",
    "audio/aac",
    "audio/ogg",
    "audio/flac",
    "audio/webm",
    "audio/m4a",
    "audio/pcm",
  ],
  video: [
    "video/mp4",
    "video/mpeg",
    "video/mov",
    "video/quicktime",
    "video/avi",
    "video/x-flv",
    "video/mpg",
    "video/webm",
    "video/wmv",
    "video/3gpp",
  ],
  document: ["application/pdf", "text/plain"],
};

/** The kind a MIME type belongs to, or undefined when Vertex accepts it for no kind. */
export function mediaKindOf(mimeType: string): MediaKind | undefined {
  const mime = mimeType.toLowerCase();
  return (Object.keys(VERTEX_MIME_TYPES) as MediaKind[]).find((kind) => VERTEX_MIME_TYPES[kind].includes(mime));
}

/** The short `input_audio.format` names OpenAI's SDKs send, and the MIME type each stands for. */
export const OPENAI_AUDIO_FORMATS: Readonly<Record<string, string>> = { wav: "audio/wav", mp3: "audio/mp3" };

/** A media URI Vertex reads: a Cloud Storage object or an https URL (data: URIs are checked on their own). */
export const VERTEX_MEDIA_URI = /^(gs:\/\/[^/\s]+\/\S+|https:\/\/\S+)$/;

/** Vertex's limit for one inline image (7 MB) [doc]. */
export const VERTEX_INLINE_IMAGE_BYTES = 7 * 1024 * 1024;
/** The inline limit for other media (20 MB per request in Google's docs for inline data). */
export const VERTEX_INLINE_MEDIA_BYTES = 20 * 1024 * 1024;

/** Base64 as Vertex takes inline bytes: the standard alphabet, padded (a length that is a multiple of 4). */
export function isVertexBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

/** A `data:<MIME>;base64,<bytes>` URI's parts, or undefined when it has not that shape (the bytes are not checked). */
export function parseDataUri(uri: string): { mimeType: string; base64: string } | undefined {
  const match = /^data:([\w.+-]+\/[\w.+-]+);base64,(.*)$/s.exec(uri);
  return match ? { mimeType: match[1] ?? "", base64: match[2] ?? "" } : undefined;
}

/**
 * The contract's part kind for media of a MIME type: the kind Vertex reads it as, else the kind its top-level type
 * names, else a document (whose rules then refuse an unknown type by name).
 */
export function partKindOf(mimeType: string): MediaKind {
  const mime = mimeType.toLowerCase();
  return mediaKindOf(mime) ?? (/^(image|audio|video)\//.exec(mime)?.[1] as MediaKind | undefined) ?? "document";
}
