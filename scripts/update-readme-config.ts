/**
 * Rewrites README.md's generated tables: the configuration table from src/config/settings.ts and the error table
 * from src/rpc/error-catalogue.ts (the one place each is defined). Run `npm run docs` after changing either; a
 * test fails while README and the source disagree.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { settingsTable } from "../src/config/load-config.ts";
import { errorTable } from "../src/rpc/error-catalogue.ts";
import { replaceTable } from "./readme-tables.ts";

const path = new URL("../README.md", import.meta.url);
const readme = readFileSync(path, "utf8");
writeFileSync(path, replaceTable(replaceTable(readme, "| variable", settingsTable()), "| reason", errorTable()));
console.log("README.md configuration and error tables updated");
