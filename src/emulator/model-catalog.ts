/** The models the emulator pretends to host, with the location rules Vertex applies to them. */

export interface EmulatedModel {
  name: string;
  /** Gemini 3 previews and some partner models exist only at `global`. */
  globalOnly: boolean;
  /** Gemini 3 returns thought signatures and rejects tool-calling turns that lost them. */
  signatures: boolean;
  thinking: boolean;
  imageOutput: boolean;
}

const MODELS: EmulatedModel[] = [
  { name: "google/gemini-2.0-flash", globalOnly: false, signatures: false, thinking: false, imageOutput: false },
  { name: "google/gemini-2.5-flash", globalOnly: false, signatures: false, thinking: true, imageOutput: false },
  { name: "google/gemini-2.5-flash-lite", globalOnly: false, signatures: false, thinking: true, imageOutput: false },
  { name: "google/gemini-2.5-pro", globalOnly: false, signatures: false, thinking: true, imageOutput: false },
  { name: "google/gemini-3-pro-preview", globalOnly: true, signatures: true, thinking: true, imageOutput: false },
  { name: "google/gemini-3.1-pro-preview", globalOnly: true, signatures: true, thinking: true, imageOutput: false },
  { name: "google/gemini-3-flash-preview", globalOnly: true, signatures: true, thinking: true, imageOutput: false },
  { name: "google/gemini-3-pro-image-preview", globalOnly: true, signatures: true, thinking: true, imageOutput: true },
  {
    name: "meta/llama-4-maverick-17b-128e-instruct-maas",
    globalOnly: false,
    signatures: false,
    thinking: false,
    imageOutput: false,
  },
  { name: "xai/grok-4.1-fast-reasoning", globalOnly: true, signatures: false, thinking: true, imageOutput: false },
];

const byName = new Map(MODELS.map((m) => [m.name, m]));

export function findEmulatedModel(name: string): EmulatedModel | undefined {
  return byName.get(name);
}
