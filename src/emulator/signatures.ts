/**
 * Deterministic thought signatures: an HMAC over what the model said, so the emulator can tell, like Gemini 3,
 * whether a signature it gets back is the one it issued for that turn.
 */
import { createHmac } from "node:crypto";

const KEY = "vertexchat-emulator-signing-key";

/** The dummy value Google documents for callers that lost a signature. */
export const SKIP_VALIDATOR = "skip_thought_signature_validator";

export function signatureFor(kind: "text" | "call", content: string): string {
  // 48 bytes, like a short real signature: long enough that a truncation or re-encoding is noticed.
  const mac = createHmac("sha384", KEY).update(`${kind}\u0000${content}`).digest();
  return mac.toString("base64");
}

export function callSignature(name: string, args: string): string {
  return signatureFor("call", `${name}\u0000${args}`);
}
