// Bundles web/main.js for the browser with one bundler, the way an app would, into OUT.
// argv: vite | webpack | esbuild; env: TOOLS (the matrix's node_modules), OUT.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const tools = createRequire(join(process.env.TOOLS, "noop.js"));
const load = async (name) => import(pathToFileURL(tools.resolve(name)).href);
const out = process.env.OUT;
const page = (script) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>matrix</title></head><body>${script}</body></html>\n`;

const bundlers = {
  async vite() {
    const { build } = await load("vite");
    await build({ root: here, configFile: false, logLevel: "error", build: { outDir: out, emptyOutDir: true } });
  },
  async webpack() {
    const webpack = (await load("webpack")).default;
    const stats = await new Promise((resolve, reject) =>
      webpack(
        {
          mode: "production",
          target: "web",
          context: here,
          entry: "./main.js",
          output: { path: out, filename: "main.js" },
          performance: { hints: false },
        },
        (err, s) => (err ? reject(err) : resolve(s)),
      ),
    );
    if (stats.hasErrors() || stats.hasWarnings()) throw new Error(stats.toString({ all: false, errors: true, warnings: true }));
    writeFileSync(join(out, "index.html"), page('<script src="./main.js"></script>'));
  },
  async esbuild() {
    const esbuild = (await load("esbuild")).default;
    await esbuild.build({
      entryPoints: [join(here, "main.js")],
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "browser",
      outdir: out,
      logLevel: "error",
    });
    writeFileSync(join(out, "index.html"), page('<script type="module" src="./main.js"></script>'));
  },
};

await bundlers[process.argv[2]]();
console.log(`built with ${process.argv[2]}`);
