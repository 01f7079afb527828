// One-off: adds the chaos and load scripts to package.json without rewriting the rest.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package.json", import.meta.url);
const text = readFileSync(path, "utf8");
const add = { chaos: "node scripts/chaos.mjs", load: "node scripts/load.mjs" };
let out = text;
for (const [name, cmd] of Object.entries(add)) {
  if (new RegExp(`"${name}":`).test(out)) continue;
  // insert after the "test:browser" line, keeping its indentation
  out = out.replace(/(\n(\s*)"test:browser": "[^"\n]*",)/, `$1\n$2"${name}": "${cmd}",`);
}
if (out === text) console.log("package.json already has the scripts");
else {
  JSON.parse(out); // still valid
  writeFileSync(path, out);
  console.log("added:", Object.keys(add).join(", "));
}
