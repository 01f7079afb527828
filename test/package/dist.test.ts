// The built package as its users load it: require, import, <script>, and what the browser
// builds must not contain. Needs `npm run build` first (npm test does it).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { runInNewContext } from "node:vm";
import { beforeAll, describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
const file = (p: string) => readFileSync(root + p, "utf8");
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: "utf8" }).trim();
/** Every .mjs/.cjs under a dist folder, chunks included. */
const jsUnder = (dir: string): string[] =>
  readdirSync(root + dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.[cm]js$/.test(f))
    .map((f) => `${dir}/${f}`);
/** Which file `require` / `import` picks for `spec` when Node is given `conditions`. */
const resolved = (spec: string, conditions: string[], mode: "require" | "import") => {
  const flags = conditions.flatMap((c) => ["-C", c]);
  const code =
    mode === "require"
      ? `console.log(require.resolve(${JSON.stringify(spec)}))`
      : `console.log(import.meta.resolve(${JSON.stringify(spec)}))`;
  const out = node([...flags, ...(mode === "import" ? ["--input-type=module"] : []), "-e", code]);
  return out.replace(/^file:\/\//, "").slice(root.length);
};

beforeAll(() => {
  for (const f of ["dist/index.mjs", "dist/index.cjs", "dist/browser/index.mjs", "dist/webpubsub-client.umd.min.js", "dist/index.d.ts"]) {
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

  for (const f of [...jsUnder("dist/browser"), ...jsUnder("dist/protobuf"), "dist/webpubsub-client.umd.min.js"]) {
    it(`${f} carries no ws, Node built-in, Buffer, process or require`, () => {
      const code = file(f);
      expect(code).not.toMatch(/\bBuffer\b/);
      expect(code).not.toMatch(/\bprocess\b/);
      expect(code).not.toMatch(/\brequire\s*\(/);
      expect(code).not.toMatch(/["'](?:ws|isomorphic-ws|node:[a-z_/]+|events|buffer|crypto|net|http|https|stream|url|util)["']/);
      // everything inlined, mitt included; ESM may only load its own chunks
      expect(code).not.toMatch(/(?:^|[;}\s])(?:import|export)\s[^;]*?from\s*["'](?!\.\/)/);
      // (a chunk loads its siblings by "./name": shareConnection's lazy chunk, issue 14)
      expect(code).not.toMatch(f.includes("/chunks/") ? /\bimport\s*\(\s*["'](?!\.\/)/ : /\bimport\s*\(\s*["'](?!\.\/chunks\/)/);
    });
  }

  // Jest (jsdom or the React Native preset) `require`s with these conditions; workers,
  // Deno and bundlers for the web ask for theirs. Each gets the native-WebSocket build.
  const NATIVE: Array<[string, string[]]> = [
    ["browser", ["browser"]],
    ["react-native", ["react-native"]],
    ["worker", ["worker"]],
    ["workerd", ["workerd", "worker"]],
    ["deno", ["deno"]],
  ];
  for (const [label, conditions] of NATIVE) {
    it(`${label}: require and import pick dist/browser/index.cjs / .mjs`, () => {
      expect(resolved("webpubsub-client", conditions, "require")).toBe("dist/browser/index.cjs");
      expect(resolved("webpubsub-client", conditions, "import")).toBe("dist/browser/index.mjs");
      // the protobuf entry has no WebSocket in it: one build for every runtime
      expect(resolved("webpubsub-client/protobuf", conditions, "require")).toBe("dist/protobuf/index.cjs");
    });
  }

  it("plain Node picks the Node builds", () => {
    expect(resolved("webpubsub-client", [], "require")).toBe("dist/index.cjs");
    expect(resolved("webpubsub-client", [], "import")).toBe("dist/index.mjs");
    expect(resolved("webpubsub-client/protobuf", [], "require")).toBe("dist/protobuf/index.cjs");
    expect(resolved("webpubsub-client/protobuf", [], "import")).toBe("dist/protobuf/index.mjs");
    expect(resolved("webpubsub-client/emulator", [], "require")).toBe("dist/emulator/index.cjs");
  });

  it("the native-WebSocket CommonJS build loads with require() under the browser condition", () => {
    const out = node(["-C", "browser", "-e", `const m = require("webpubsub-client"); console.log(${JSON.stringify(EXPORTS)}.map((k) => typeof m[k]).join())`]);
    expect(out).toBe("function,function,function,function,function");
  });

  it("the protobuf entry loads with require and import; the client entry carries none of it", () => {
    const names = ["WebPubSubProtobufProtocol", "WebPubSubProtobufReliableProtocol"];
    expect(node(["-e", `const m = require("webpubsub-client/protobuf"); console.log(${JSON.stringify(names)}.map((k) => typeof m[k]).join())`])).toBe("function,function");
    expect(node(["--input-type=module", "-e", `const m = await import("webpubsub-client/protobuf"); console.log(${JSON.stringify(names)}.map((k) => typeof m[k]).join())`])).toBe("function,function");
    for (const f of ["dist/index.mjs", "dist/browser/index.mjs", "dist/index.cjs", "dist/browser/index.cjs"]) {
      expect(file(f), f).not.toMatch(/protobuf\.(?:mjs|cjs)|WebPubSubProtobuf|protobuf\.(?:reliable\.)?webpubsub\.azure\.v1|protobuf subprotocols/);
    }
  });

  it("CommonJS builds are one file per entry: dynamic imports inlined, no relative require", () => {
    for (const f of [...jsUnder("dist").filter((f) => f.endsWith(".cjs") && !f.startsWith("dist/emulator/"))]) {
      expect(file(f), f).not.toMatch(/\bimport\s*\(|require\(\s*["']\./);
    }
  });

  it("declarations: one self-contained file per entry and mode (.d.ts for import, .d.cts for require)", () => {
    for (const base of ["dist/index", "dist/protobuf/index", "dist/emulator/index"]) {
      for (const ext of [".d.ts", ".d.cts"]) {
        const text = file(base + ext);
        expect(text, base + ext).not.toMatch(/from\s*["']\.|import\(\s*["']\./); // no relative import to resolve
      }
    }
    expect(file("dist/index.d.ts")).toMatch(/\bWebPubSubClient\b/);
    // what a consumer's program needs to compile them (types: [], lib ES2022, skipLibCheck off)
    for (const ext of [".d.ts", ".d.cts"]) {
      expect(file(`dist/index${ext}`)).toMatch(/^\/\/\/ <reference lib="esnext\.disposable" \/>/);
      expect(file(`dist/emulator/index${ext}`)).toMatch(/^\/\/\/ <reference types="node" \/>/);
    }
    expect(file("dist/webpubsub-client.umd.d.ts")).toMatch(/export as namespace WebPubSub/);
    // the packages the emulator's declarations import are dependencies, not devDependencies
    const pkg = JSON.parse(file("package.json"));
    const imported = [...file("dist/emulator/index.d.ts").matchAll(/from\s*["']([^"'.][^"']*)["']/g)].map((m) => m[1]);
    for (const spec of imported) {
      if (spec.startsWith("node:")) continue;
      expect(pkg.dependencies, spec).toHaveProperty(`@types/${spec}`);
    }
    // ... and so is every `/// <reference types="…" />` (today only "node", which the
    // imports above, all `node:`, never check): a dependency or a dependency's dependency
    const installed = (name: string): boolean =>
      name in pkg.dependencies ||
      Object.keys(pkg.dependencies).some((d) => name in (JSON.parse(file(`node_modules/${d}/package.json`)).dependencies ?? {}));
    const referenced = [...file("dist/emulator/index.d.ts").matchAll(/^\/\/\/ <reference types="([^"]+)" \/>/gm)].map((m) => m[1]!);
    expect(referenced).toContain("node");
    for (const t of referenced) expect(installed(`@types/${t}`), `@types/${t}`).toBe(true);
  });

  it("the UMD file defines the WebPubSub global from a plain script", () => {
    const window: Record<string, any> = {};
    runInNewContext(file("dist/webpubsub-client.umd.min.js"), { window, self: window, globalThis: window });
    const g = window.WebPubSub ?? (window as any).globalThis?.WebPubSub;
    expect(Object.keys(g ?? {})).toEqual(expect.arrayContaining([...EXPORTS, "WebPubSubProtobufProtocol", "WebPubSubProtobufReliableProtocol"]));
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
