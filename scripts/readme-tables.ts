/**
 * README.md's generated tables (settings, errors): find one by its header line, compare its cells, replace it.
 * Used by `npm run docs` and by the specs that keep README in step with the source.
 */

/** The body rows of the table whose first line starts with `header`, cells trimmed (Biome pads them). */
export function tableRows(markdown: string, header: string): string[] {
  const start = markdown.indexOf(header);
  if (start < 0) throw new Error(`README.md has no table starting with '${header}'`);
  const end = markdown.indexOf("\n\n", start);
  return markdown
    .slice(start, end < 0 ? undefined : end)
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) =>
      line
        .split("|")
        .map((cell) => cell.trim())
        .join("|"),
    );
}

/** `markdown` with the table whose first line starts with `header` replaced by `table`. */
export function replaceTable(markdown: string, header: string, table: string): string {
  const start = markdown.indexOf(header);
  const end = markdown.indexOf("\n\n", start);
  if (start < 0 || end < 0) throw new Error(`README.md has no table starting with '${header}'`);
  return `${markdown.slice(0, start)}${table}${markdown.slice(end)}`;
}
