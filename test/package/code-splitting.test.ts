// The build's code-splitting rules (rollup.config.mjs `entry`), on a fixture: the ESM output
// keeps a dynamic import() as a chunk of its own, named after the module, so an app's
// bundler loads it only when used; the CommonJS output inlines it (one file per entry).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { rollup } from "rollup";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entry } from "../../rollup.config.mjs";

const fixture = fileURLToPath(new URL("./fixtures/split/", import.meta.url));
const MARKER = "lazy-module-marker";
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "wps-split-"));
  const options = entry(join(fixture, "index.js"), dir, "index", [], undefined, fixture.replace(/\/$/, ""));
  const bundle = await rollup({ input: options.input, plugins: options.plugins });
  for (const output of options.output) await bundle.write(output);
  await bundle.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (f: string) => readFileSync(join(dir, f), "utf8");
const run = (code: string, esm: boolean) =>
  execFileSync(process.execPath, [...(esm ? ["--input-type=module"] : []), "-e", code], { cwd: dir, encoding: "utf8" }).trim();

describe("code splitting", () => {
  it("ESM: the dynamically imported module is its own chunk, chunks/<module>.mjs", () => {
    expect(readdirSync(join(dir, "chunks"))).toEqual(["lazy.mjs"]);
    expect(read("chunks/lazy.mjs")).toContain(MARKER);
    expect(read("index.mjs")).not.toContain(MARKER);
    expect(read("index.mjs")).toMatch(/import\(\s*['"]\.\/chunks\/lazy\.mjs['"]\s*\)/);
    expect(run(`const m = await import("./index.mjs"); console.log(m.eager(), await m.loadLazy())`, true)).toBe(`eager ${MARKER}`);
  });

  it("CJS: one file, the dynamic import inlined", () => {
    const cjs = read("index.cjs");
    expect(cjs).toContain(MARKER);
    expect(cjs).not.toMatch(/\bimport\s*\(|require\(/);
    expect(existsSync(join(dir, "chunks", "lazy.cjs"))).toBe(false);
    expect(run(`const m = require("./index.cjs"); m.loadLazy().then((v) => console.log(m.eager(), v))`, false)).toBe(`eager ${MARKER}`);
  });
});
