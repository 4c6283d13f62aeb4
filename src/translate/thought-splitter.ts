/**
 * Splits text that wraps thoughts in `<marker>…</marker>` into typed segments, across any chunk boundaries: a tag
 * cut between two chunks is held back until the next chunk decides it.
 */

export interface TextSegment {
  thought: boolean;
  text: string;
}

export class ThoughtSplitter {
  readonly #open: string;
  readonly #close: string;
  #inThought = false;
  #pending = "";

  constructor(marker: string) {
    this.#open = `<${marker}>`;
    this.#close = `</${marker}>`;
  }

  /** Feeds more text; returns the segments that are certain now. */
  push(text: string): TextSegment[] {
    let rest = this.#pending + text;
    this.#pending = "";
    const out: TextSegment[] = [];
    for (;;) {
      const tag = this.#inThought ? this.#close : this.#open;
      const at = rest.indexOf(tag);
      if (at >= 0) {
        if (at > 0) out.push({ thought: this.#inThought, text: rest.slice(0, at) });
        rest = rest.slice(at + tag.length);
        this.#inThought = !this.#inThought;
        continue;
      }
      const keep = partialTagSuffix(rest, tag);
      const certain = rest.slice(0, rest.length - keep);
      if (certain) out.push({ thought: this.#inThought, text: certain });
      this.#pending = rest.slice(rest.length - keep);
      return out;
    }
  }

  /** The stream ended: text held back for a possible tag was just text. */
  flush(): TextSegment[] {
    const rest = this.#pending;
    this.#pending = "";
    return rest ? [{ thought: this.#inThought, text: rest }] : [];
  }
}

/** The length of the longest suffix of `text` that is a proper prefix of `tag`. */
function partialTagSuffix(text: string, tag: string): number {
  const max = Math.min(tag.length - 1, text.length);
  for (let len = max; len > 0; len--) {
    if (text.endsWith(tag.slice(0, len))) return len;
  }
  return 0;
}
