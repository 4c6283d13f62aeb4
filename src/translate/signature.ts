/**
 * Thought signatures are opaque base64 strings on the wire and raw bytes in the contract. Vertex emits canonical
 * base64 (padded, standard alphabet), for which decode-then-encode is the identity, so a signature a caller sends
 * back reaches Vertex byte for byte.
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64_LOOSE = /^[A-Za-z0-9+/\-_]*={0,2}$/;
const utf8 = new TextEncoder();

/**
 * Wire → contract. A string that is not base64 at all (documentation placeholders such as "...") is kept as its
 * UTF-8 bytes rather than dropped: a signature must never silently vanish.
 */
export function signatureFromWire(value: string): Uint8Array {
  if (BASE64.test(value) || BASE64_LOOSE.test(value)) {
    return Buffer.from(value, value.includes("-") || value.includes("_") ? "base64url" : "base64");
  }
  return utf8.encode(value);
}

/** Contract → wire: canonical base64. */
export function signatureToWire(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
