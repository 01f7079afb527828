// The built package as its users load it: require, import, <script>, and what the browser
// builds must not contain. Needs `npm run build` first (npm test does it).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { runInNewContext } from "node:vm";
import { beforeAll, describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
const file = (p: string) => readFileSync(root + p, "utf8");
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: "utf8" }).trim();

beforeAll(() => {
  for (const f of ["dist/index.mjs", "dist/index.cjs", "dist/browser/index.mjs", "dist/webpubsub-client.umd.min.js", "dist/types/src/index.d.ts"]) {
    if (!existsSync(root + f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
});

const EXPORTS = ["WebPubSubClient", "WebPubSubJsonProtocol", "WebPubSubJsonReliableProtocol", "SendMessageError", "InvocationError"];

describe("the built package", () => {
  it("loads with require() by its own name", () => {
    const out = node(["-e", `const m = require("webpubsub-client"); console.log(${JSON.stringify(EXPORTS)}.map((k) => typeof m[k]).join())`]);
    expect(out).toBe("function,function,function,function,function");
  });

  it("loads with import by its own name", () => {
    const out = node(["--input-type=module", "-e", `const m = await import("webpubsub-client"); console.log(${JSON.stringify(EXPORTS)}.map((k) => typeof m[k]).join())`]);
    expect(out).toBe("function,function,function,function,function");
  });

  it("loads the emulator entry by its subpath", () => {
    if (!existsSync(root + "dist/emulator/index.mjs")) throw new Error("dist/emulator/index.mjs is missing");
    const out = node(["--input-type=module", "-e", `const m = await import("webpubsub-client/emulator"); console.log(typeof m.startEmulator)`]);
    expect(out).toBe("function");
  });

  for (const f of ["dist/browser/index.mjs", "dist/webpubsub-client.umd.min.js"]) {
    it(`${f} carries no ws, Node built-in, Buffer, process or require`, () => {
      const code = file(f);
      expect(code).not.toMatch(/\bBuffer\b/);
      expect(code).not.toMatch(/\bprocess\b/);
      expect(code).not.toMatch(/\brequire\s*\(/);
      expect(code).not.toMatch(/["'](?:ws|isomorphic-ws|node:[a-z_/]+|events|buffer|crypto|net|http|https|stream|url|util)["']/);
      expect(code).not.toMatch(/^\s*import\s/m); // everything inlined, mitt included
    });
  }

  it("the UMD file defines the WebPubSub global from a plain script", () => {
    const window: Record<string, any> = {};
    runInNewContext(file("dist/webpubsub-client.umd.min.js"), { window, self: window, globalThis: window });
    const g = window.WebPubSub ?? (window as any).globalThis?.WebPubSub;
    expect(Object.keys(g ?? {})).toEqual(expect.arrayContaining(EXPORTS));
  });

  it("package.json exports point at files that exist", () => {
    const pkg = JSON.parse(file("package.json"));
    const targets: string[] = [];
    const walk = (v: unknown) => (typeof v === "string" ? targets.push(v) : v && typeof v === "object" && Object.values(v).forEach(walk));
    walk(pkg.exports);
    for (const t of targets) expect(existsSync(root + t), t).toBe(true);
    expect(pkg.sideEffects).toBe(false);
  });
});
