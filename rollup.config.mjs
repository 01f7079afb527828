// Builds every entry of the package (see package.json `exports`):
// - `webpubsub-client` for Node (ESM + CJS, `ws` when the runtime has no WebSocket) and for
//   runtimes with their own WebSocket: browsers, workers, Deno, React Native (ESM + CJS in
//   dist/browser/). The native builds swap the WebSocket picker for one that only reads the
//   global WebSocket, so they carry no `ws`, no Node built-in and no Buffer.
// - `webpubsub-client/protobuf` (ESM + CJS in dist/protobuf/): no WebSocket in it, so one
//   build, held to the native builds' rules, serves every runtime.
// - the minified UMD file (global `WebPubSub`: the client and the protobuf protocols);
// - the Node-only local service (`webpubsub-client/emulator` and the bin);
// - one self-contained declaration file per entry, as `.d.ts` (import) and `.d.cts` (require).
//
// Code splitting: the ESM builds keep dynamic `import()`s as chunks of their own under
// `chunks/` (named after the module, stable across builds), so an app's bundler only loads
// them when they are used. The CJS and UMD builds inline them: one file per entry.
import { builtinModules } from "node:module";
import { relative, resolve as resolvePath } from "node:path";
import typescript from "@rollup/plugin-typescript";
import resolve from "@rollup/plugin-node-resolve";
import terser from "@rollup/plugin-terser";
import { dts } from "rollup-plugin-dts";
import { transform } from "esbuild";
import { internalPropertyNames } from "./scripts/internal-props.mjs";

const SRC = resolvePath("src");
const ts = () => typescript({ tsconfig: "./tsconfig.build.json", outputToFilesystem: false });
const nodeExternal = (id) =>
  id.startsWith("node:") || builtinModules.includes(id) || /^(ws|isomorphic-ws|mitt|protobufjs)(\/|$)/.test(id);

/**
 * Resolves `./<module>` (or `./<module>.js`) to its `<module><suffix>` twin, except from the
 * twin itself (which may import what it stands in for).
 */
const twin = (name, module, suffix) => {
  const pattern = new RegExp(`/${module}(\\.js)?$`);
  return {
    name,
    async resolveId(source, importer, options) {
      if (!pattern.test(source) || importer?.endsWith(`${module}${suffix}`)) return null;
      return this.resolve(source.replace(/(\.js)?$/, suffix), importer, { ...options, skipSelf: true });
    },
  };
};

/** Points `./default-websocket` at its `.browser.ts` twin. */
const browserSwap = () => twin("browser-swap", "default-websocket", ".browser.ts");

/** The Node build's `./base64` is its `.node.ts` twin (Buffer's codec), which re-exports the rest. */
const nodeSwap = () => twin("node-swap", "base64", ".node.ts");

/**
 * shareConnection's SharedWorker in the browser ESM/CJS build: `./worker-start` becomes its
 * `.browser.ts` twin (a module worker started from `new URL("./shared-worker.mjs",
 * import.meta.url)`, the file the `SHARED_WORKER` build below emits beside the chunk).
 * `import.meta` is rendered `undefined` outside ESM output: the CommonJS file takes the Web
 * Locks path instead of carrying rollup's `require("url")` shim.
 */
const moduleWorker = () => ({
  ...twin("module-worker", "worker-start", ".browser.ts"),
  resolveImportMeta: (_property, { format }) => (format === "es" ? null : "undefined"),
});

/** Fails the build if a native-WebSocket bundle pulls in anything Node-only. */
const browserGuard = () => ({
  name: "browser-guard",
  resolveId(source) {
    if (source === "ws" || source === "isomorphic-ws" || source.startsWith("node:") || builtinModules.includes(source)) {
      this.error(`browser build must not import "${source}"`);
    }
    return null;
  },
  renderChunk(code) {
    if (/\bBuffer\b|\bprocess\b|require\(/.test(code)) this.error("browser build mentions Buffer, process or require");
    return null;
  },
});

/** The UMD file's one entry: the client and the protobuf protocols under one global. */
const UMD_ENTRY = "\0webpubsub-umd-entry";
const umdEntry = () => ({
  name: "umd-entry",
  resolveId: (id) => (id === UMD_ENTRY ? id : null),
  load: (id) =>
    id === UMD_ENTRY
      ? `export * from ${JSON.stringify(`${SRC}/index.ts`)};\nexport * from ${JSON.stringify(`${SRC}/protobuf/index.ts`)};\n`
      : null,
});

/** `src/shared/index.ts` -> `chunks/shared.mjs`; chunks shared by entries keep rollup's name. */
const chunkName = (ext, root = SRC) => (chunk) => {
  const id = chunk.facadeModuleId;
  if (!id || !id.startsWith(root)) return `chunks/[name].${ext}`;
  const rel = relative(root, id).replace(/\.[cm]?[jt]s$/, "").replace(/\/index$/, "");
  return `chunks/${rel.replace(/[^A-Za-z0-9_-]+/g, "-")}.${ext}`;
};

/**
 * One entry, one TypeScript pass, two outputs: ESM (`<dir>/<name>.mjs`, dynamic imports as
 * chunks under `<dir>/chunks/`) and CJS (`<dir>/<name>.cjs`, dynamic imports inlined).
 */
export const entry = (input, dir, name, plugins, external, root = SRC) => ({
  input,
  external,
  plugins,
  output: [
    { dir, format: "es", entryFileNames: `${name}.mjs`, chunkFileNames: chunkName("mjs", root) },
    { dir, format: "cjs", entryFileNames: `${name}.cjs`, exports: "named", inlineDynamicImports: true },
  ],
});

/**
 * Shorter names for the SDK's internal members (the engine's `outbox`, a link's `confirmed`,
 * ...), the same in every file of every build: scripts/internal-props.mjs finds, with the
 * type checker, the names that never reach a user, the wire, another tab or a library, and
 * gives each a short one. Minifiers cannot do this (a property may be anyone's); it is most
 * of what separates an app's bundle from a hand-minified one.
 */
const INTERNAL = internalPropertyNames();
const shortNames = () => ({
  name: "short-names",
  async renderChunk(code, chunk) {
    // What the sources did not write (bundled packages, rollup's own glue such as
    // `Object.freeze` on a namespace) is outside the analysis: none of it may use a renamed name.
    let foreign = code;
    for (const [id, m] of Object.entries(chunk.modules)) if (id.startsWith(SRC) && m.code) foreign = foreign.replace(m.code, "");
    const keys = [...foreign.matchAll(/\.\s*([A-Za-z_$][\w$]*)|([A-Za-z_$][\w$]*)\s*:/g)].map((m) => m[1] ?? m[2]);
    const clash = [...new Set(keys)].filter((w) => Object.hasOwn(INTERNAL.names, w));
    if (clash.length) this.error(`${chunk.fileName}: ${clash.join(", ")} would be renamed but appear in code outside src/ (add to keepNames in scripts/internal-props.mjs)`);
    const { code: out } = await transform(code, {
      loader: "js", charset: "utf8", legalComments: "inline",
      mangleProps: INTERNAL.pattern, mangleCache: { ...INTERNAL.names }, reserveProps: /^$/,
    });
    return { code: out, map: null };
  },
});

const native = () => [browserGuard(), browserSwap(), resolve({ browser: true }), ts(), shortNames()];

/**
 * Declarations: one file per entry, no relative imports left, `.d.ts` and `.d.cts`. `banner`
 * carries the triple-slash references a consumer's program needs (a `types: []` or an
 * ES2022 `lib` must still compile them with `skipLibCheck: false`).
 */
const types = (input, base, { external = [], banner } = {}) => ({
  input,
  external: (id) => nodeExternal(id) || external.some((re) => re.test(id)),
  plugins: [dts({ tsconfig: "./tsconfig.types.json" })],
  output: [
    { file: `${base}.d.ts`, format: "es", banner },
    { file: `${base}.d.cts`, format: "es", banner },
  ],
});

/** The UMD file's declarations: the same names, also as the global `WebPubSub`. */
const umdTypes = () => ({
  name: "umd-types",
  generateBundle() {
    this.emitFile({
      type: "asset",
      fileName: "webpubsub-client.umd.d.ts",
      source: 'export * from "./index.js";\nexport * from "./protobuf/index.js";\nexport as namespace WebPubSub;\n',
    });
  },
});

export default [
  entry("src/index.ts", "dist", "index", [nodeSwap(), ts(), shortNames()], nodeExternal),
  entry("src/index.ts", "dist/browser", "index", [moduleWorker(), ...native()]),
  // shareConnection's module SharedWorker (see moduleWorker): self-contained, beside the chunk.
  {
    input: "src/shared/worker-main.ts",
    plugins: native(),
    output: { file: "dist/browser/chunks/shared-worker.mjs", format: "es", inlineDynamicImports: true },
  },
  // No WebSocket in it: one build serves Node and the native-WebSocket runtimes alike.
  entry("src/protobuf/index.ts", "dist/protobuf", "index", native()),
  {
    input: UMD_ENTRY,
    plugins: [umdEntry(), ...native(), umdTypes()],
    output: {
      file: "dist/webpubsub-client.umd.min.js",
      format: "umd",
      name: "WebPubSub",
      exports: "named",
      inlineDynamicImports: true,
      plugins: [terser({ format: { comments: false } })],
    },
  },
  {
    input: { index: "emulator/index.ts", cli: "emulator/cli.ts" },
    external: (id) => nodeExternal(id) || /^(express|@azure\/)/.test(id),
    plugins: [ts()],
    output: [
      { dir: "dist/emulator", format: "es", entryFileNames: "[name].mjs", chunkFileNames: "[name]-[hash].mjs" },
      { dir: "dist/emulator", format: "cjs", entryFileNames: "[name].cjs", chunkFileNames: "[name]-[hash].cjs", exports: "named" },
    ],
  },
  // `[Symbol.asyncDispose]` on the client
  types("src/index.ts", "dist/index", { banner: '/// <reference lib="esnext.disposable" />' }),
  types("src/protobuf/index.ts", "dist/protobuf/index"),
  // Node's types come with @types/ws, a dependency
  types("emulator/index.ts", "dist/emulator/index", { external: [/^(express|@azure\/)/], banner: '/// <reference types="node" />' }),
];
