// Builds the client for Node (ESM + CJS), for browsers (ESM + minified UMD), and the
// Node-only local service. The browser builds swap the WebSocket picker for one that
// only reads the global WebSocket, so they carry no `ws`, no Node built-in and no Buffer.
import { builtinModules } from "node:module";
import typescript from "@rollup/plugin-typescript";
import resolve from "@rollup/plugin-node-resolve";
import terser from "@rollup/plugin-terser";

const ts = () => typescript({ tsconfig: "./tsconfig.build.json", outputToFilesystem: false });
const nodeExternal = (id) =>
  id.startsWith("node:") || builtinModules.includes(id) || /^(ws|isomorphic-ws|mitt)(\/|$)/.test(id);

/** Points `./default-websocket` at its `.browser.ts` twin. */
const browserSwap = () => ({
  name: "browser-swap",
  async resolveId(source, importer, options) {
    if (!source.endsWith("/default-websocket") && !source.endsWith("/default-websocket.js")) return null;
    return this.resolve(source.replace(/(\.js)?$/, ".browser.ts"), importer, { ...options, skipSelf: true });
  },
});

/** Fails the build if a browser bundle pulls in anything Node-only. */
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

export default [
  {
    input: "src/index.ts",
    external: nodeExternal,
    plugins: [ts()],
    output: [
      { file: "dist/index.mjs", format: "es", inlineDynamicImports: true }, // TEMP (i14) until i13's code splitting
      { file: "dist/index.cjs", format: "cjs", exports: "named", inlineDynamicImports: true },
    ],
  },
  {
    input: "src/index.ts",
    plugins: [browserGuard(), browserSwap(), resolve({ browser: true }), ts()],
    output: [
      { file: "dist/browser/index.mjs", format: "es", inlineDynamicImports: true }, // TEMP (i14) until i13's code splitting
      {
        file: "dist/webpubsub-client.umd.min.js",
        format: "umd",
        name: "WebPubSub",
        exports: "named",
        inlineDynamicImports: true,
        plugins: [terser({ format: { comments: false } })],
      },
    ],
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
];
