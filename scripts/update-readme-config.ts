/**
 * Rewrites README.md's configuration table from src/config/settings.ts (the one place settings are defined).
 * Run `npm run docs` after adding or changing a setting; a test fails while the two disagree.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { settingsTable } from "../src/config/load-config.ts";

const path = new URL("../README.md", import.meta.url);
const readme = readFileSync(path, "utf8");
const start = readme.indexOf("| variable");
const end = readme.indexOf("\n\n", start);
if (start < 0 || end < 0) throw new Error("README.md has no configuration table starting with '| variable'");
writeFileSync(path, `${readme.slice(0, start)}${settingsTable()}${readme.slice(end)}`);
console.log("README.md configuration table updated");
