/**
 * Rewrites README.md's generated tables: the configuration table from src/config/settings.ts and the error table
 * from src/rpc/error-catalogue.ts (the one place each is defined). Run `npm run docs` after changing either; a
 * test fails while README and the source disagree.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { settingsTable } from "../src/config/load-config.ts";
import { errorTable } from "../src/rpc/error-catalogue.ts";

const path = new URL("../README.md", import.meta.url);
let readme = readFileSync(path, "utf8");

function replaceTable(header: string, table: string): void {
  const start = readme.indexOf(header);
  const end = readme.indexOf("\n\n", start);
  if (start < 0 || end < 0) throw new Error(`README.md has no table starting with '${header}'`);
  readme = `${readme.slice(0, start)}${table}${readme.slice(end)}`;
}

replaceTable("| variable", settingsTable());
replaceTable("| reason", errorTable());
writeFileSync(path, readme);
console.log("README.md configuration and error tables updated");
