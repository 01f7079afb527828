#!/usr/bin/env node
// The toolchain matrix (`npm run toolchains`, and `.ci/run` after `npm test`).
//
// Packs the package (`npm pack`), installs the tarball into a scratch app in a temp dir,
// starts the local service from the installed package (`webpubsub-client/emulator`), and
// from every runtime and tool people use does a real round trip: connect, join a group,
// send to it, receive the echo. Plus attw and publint on the tarball. One line per target
// (`ok <target> ...` or `FAIL <target> ...`), a closing count, exit 1 on any failure.
//
// The tools (Node 18/22/24, Deno, Bun, miniflare/workerd, Jest, Vite, webpack, esbuild,
// TypeScript, attw, publint) come from scripts/toolchain/package-lock.json via `npm ci`; their binaries
// ship inside npm packages (no install script needed). Chromium and playwright-core are
// the browser tests' (see browser-tests/support/chromium.mjs).
//
// env: MATRIX_JOBS (targets at once, default 3), MATRIX_ONLY (comma-separated target
// names), MATRIX_KEEP=1 (keep the temp dir), MATRIX_SKIP_BUILD=1 (pack the dist/ already
// built, e.g. right after `npm test`).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const TC = fileURLToPath(new URL(".", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NM = join(TC, "node_modules");
const started = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const log = (line) => process.stdout.write(`${line}\n`);

/** Runs a command; resolves with its exit code and combined output (never rejects). */
function run(cmd, args, { cwd = ROOT, env = {}, timeoutMs = 180_000 } = {}) {
  return new Promise((resolve) => {
    let out = "";
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const timer = setTimeout(() => {
      out += `\n[matrix] timed out after ${secs(timeoutMs)}`;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ code: -1, out: `${out}\n${err.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), out });
    });
  });
}

const tail = (text, lines = 25) => text.trim().split("\n").slice(-lines).map((l) => `    ${l}`).join("\n");
const must = (r, what) => {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n${tail(r.out)}`);
  return r.out;
};
const countOk = (out) => (out.match(/round trip ok/g) ?? []).length;

// ---------------------------------------------------------------- setup

async function installTools() {
  const hash = createHash("sha256").update(readFileSync(join(TC, "package-lock.json"))).digest("hex");
  const stamp = join(NM, ".matrix-lock-sha256");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return "up to date";
  must(await run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: TC, timeoutMs: 600_000 }), "npm ci (scripts/toolchain)");
  writeFileSync(stamp, hash);
  return "npm ci";
}

const temp = mkdtempSync(join(tmpdir(), "webpubsub-matrix-"));
const APP = join(temp, "app");
const OUT = join(temp, "out");

async function packAndInstall() {
  const args = ["pack", "--pack-destination", temp, "--silent"];
  if (process.env.MATRIX_SKIP_BUILD === "1") args.push("--ignore-scripts");
  const packed = must(await run("npm", args, { timeoutMs: 300_000 }), "npm pack").trim().split("\n").pop();
  const tgz = join(temp, packed);
  cpSync(join(TC, "apps"), APP, { recursive: true });
  writeFileSync(
    join(APP, "package.json"),
    JSON.stringify({ name: "matrix-app", private: true, type: "module", dependencies: { "webpubsub-client": `file:${tgz}` } }, null, 2),
  );
  must(await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: APP, timeoutMs: 300_000 }), "npm install <tarball>");
  return tgz;
}

// ---------------------------------------------------------------- targets

const tools = createRequire(join(NM, "noop.js"));
const binOf = (pkg) => {
  const dir = join(NM, pkg);
  const { bin } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  return join(dir, typeof bin === "string" ? bin : Object.values(bin)[0]);
};
const versionOf = (pkg) => JSON.parse(readFileSync(join(NM, pkg, "package.json"), "utf8")).version;
const NODE = {
  node18: join(NM, "node18/bin/node"),
  node20: process.execPath, // the project's own Node (BRIEF: Node 20)
  node22: join(NM, "node22/bin/node"),
  node24: join(NM, "node24/bin/node"),
};
const DENO = join(NM, "@deno/linux-x64-glibc/deno");
const BUN = join(NM, "@oven/bun-linux-x64/bin/bun");
const ROLES = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

/** Filled in by main(): the service and a fresh client access URL per use. */
let emulator;
const accessUrl = (userId) => emulator.getClientAccessUrl("matrix", { userId, roles: ROLES });

/** Node, Bun, Deno: import + require by the package's name, two round trips. */
const runtimeTarget = (bin, args, env) => async (name) => {
  const r = await run(bin, [...args, "runtime/main.mjs", await accessUrl(`${name}-esm`), await accessUrl(`${name}-cjs`)], { cwd: APP, env });
  const out = must(r, name);
  if (countOk(out) !== 2) throw new Error(`expected 2 round trips\n${tail(out)}`);
  const version = must(await run(bin, ["--version"], { cwd: APP, env }), `${name} --version`).trim().split("\n")[0].replace(/^(v?[\d.]+)$/, `${name.replace(/\d+$/, "")} $1`).replace(/ \(.*$/, "");
  return `${version}; ${out.match(/^build (.*)$/m)?.[1] ?? "?"} (import) + require`;
};

async function workerdTarget() {
  const esbuild = tools("esbuild");
  const outfile = join(OUT, "worker.mjs");
  const result = await esbuild.build({
    entryPoints: [join(APP, "workerd/worker.mjs")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker"],
    mainFields: ["module", "main"],
    outfile,
    metafile: true,
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs);
  // The native-WebSocket build, and only it (its lazy chunks, e.g. chunks/shared.mjs, come along).
  const taken = inputs.filter((f) => /webpubsub-client\/dist\//.test(f)).map((f) => f.replace(/^.*webpubsub-client\//, ""));
  const build = taken.includes("dist/browser/index.mjs") ? "dist/browser/index.mjs" : taken[0];
  const stray = taken.filter((f) => !f.startsWith("dist/browser/"));
  if (build !== "dist/browser/index.mjs" || stray.length) throw new Error(`the workerd bundle took ${taken.join(", ") || "no build"}, not dist/browser/index.mjs`);
  const r = await run(NODE.node22, [join(APP, "workerd/run.mjs")], {
    cwd: APP,
    env: { MINIFLARE: tools.resolve("miniflare"), WORKER: outfile, WPS_URL: await accessUrl("workerd") },
  });
  const out = must(r, "miniflare");
  if (countOk(out) !== 1) throw new Error(`no round trip\n${tail(out)}`);
  return `miniflare ${versionOf("miniflare")}; esbuild conditions workerd,worker -> ${build}`;
}

const jestTarget = (environment, options, node) => async (name) => {
  const config = join(APP, `jest/${name}.config.cjs`);
  writeFileSync(
    config,
    `module.exports = ${JSON.stringify(
      {
        rootDir: join(APP, "jest"),
        testMatch: ["**/*.test.cjs"],
        testEnvironment: tools.resolve(environment),
        testEnvironmentOptions: options,
        transform: {},
        cacheDirectory: join(temp, `jest-cache-${name}`),
        watchman: false,
      },
      null,
      2,
    )};\n`,
  );
  const r = await run(node, [binOf("jest"), "--config", config, "--ci"], {
    cwd: APP,
    env: { WPS_URL: await accessUrl(name), EXPECT_BUILD: "dist/browser/index.cjs", NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  const out = must(r, "jest");
  const passed = out.match(/Tests:\s+(\d+) passed, (\d+) total/);
  if (!passed || passed[1] !== passed[2]) throw new Error(`jest did not pass every test\n${tail(out)}`);
  return `jest ${versionOf("jest")}, ${environment}${options.customExportConditions ? ` conditions ${options.customExportConditions}` : ""}; require -> dist/browser/index.cjs`;
};

let browser;
const chromium = () =>
  (browser ??= import(join(ROOT, "browser-tests/support/chromium.mjs")).then((m) => m.launchChromium()));

const webTarget = (bundler) => async () => {
  const outDir = join(OUT, bundler);
  must(await run(process.execPath, [join(APP, "web/build.mjs"), bundler], { cwd: APP, env: { TOOLS: NM, OUT: outDir } }), `${bundler} build`);
  // The app imports only `webpubsub-client`: nothing of ws, nothing of the protobuf entry.
  const js = readdirSync(outDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js"));
  if (!js.length) throw new Error(`${bundler} wrote no .js file`);
  for (const f of js) {
    const code = readFileSync(join(outDir, f), "utf8");
    if (/isomorphic-ws|\bBuffer\b|require\("ws"\)/.test(code)) throw new Error(`${f} carries ws or Buffer`);
    if (/protobuf\.(?:reliable\.)?webpubsub\.azure\.v1|protobuf subprotocols/.test(code)) throw new Error(`${f} carries the protobuf entry`);
  }
  const { startStaticServer } = await import(join(ROOT, "browser-tests/support/static-server.mjs"));
  const server = await startStaticServer({ mounts: { "/": outDir } });
  const context = await (await chromium()).newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    await page.goto(`${server.url}/index.html?url=${encodeURIComponent(await accessUrl(bundler))}`);
    const handle = await page.waitForFunction(() => window.__result, null, { timeout: 30_000 });
    const result = await handle.jsonValue();
    if (!/round trip ok/.test(result) || errors.length) throw new Error(`${result}${errors.length ? `\n    page errors: ${errors.join("; ")}` : ""}`);
    // shareConnection: Vite and webpack emit the module SharedWorker (a file of its own) and
    // the page uses it; esbuild leaves `new URL(..., import.meta.url)` alone: the Web Locks path.
    const shared = await page.evaluate(() => window.__shared);
    const workerFile = js.find((f) => /\bonconnect\b/.test(readFileSync(join(outDir, f), "utf8")));
    const wanted = bundler === "esbuild" ? "locks" : "worker";
    if (shared !== wanted || (wanted === "worker") !== Boolean(workerFile)) {
      throw new Error(`shareConnection took ${shared} (wanted ${wanted}); worker file: ${workerFile ?? "none"}`);
    }
    const version = versionOf(bundler);
    return `${bundler} ${version} build, page in Chromium ${(await chromium()).version()}; shareConnection: ${workerFile ? `SharedWorker ${workerFile}` : "Web Locks"}`;
  } finally {
    await context.close();
    await server.close();
  }
};

async function attwTarget(tgz) {
  const r = await run(process.execPath, [binOf("@arethetypeswrong/cli"), tgz, "--entrypoints", ".", "./protobuf", "./emulator", "--format", "table-flipped"]);
  const out = must(r, "attw");
  if (!/No problems found/.test(out)) throw new Error(`attw found problems\n${tail(out)}`);
  return `attw ${versionOf("@arethetypeswrong/cli")}: no problems for . ./protobuf ./emulator (node10, node16 cjs/esm, bundler)`;
}

/** tsc over consumers of every entry: node16 (ESM .mts + CJS .cts) and bundler, skipLibCheck off. */
async function typescriptTarget() {
  for (const config of ["tsconfig.node16.json", "tsconfig.bundler.json"]) {
    must(await run(process.execPath, [binOf("typescript"), "-p", config], { cwd: join(APP, "ts") }), `tsc -p ${config}`);
  }
  return `tsc ${versionOf("typescript")}: node16 import + require, bundler; strict, skipLibCheck false, lib ES2022`;
}

async function publintTarget(tgz) {
  const out = must(await run(process.execPath, [binOf("publint"), "run", tgz, "--strict"]), "publint");
  if (!/All good/.test(out)) throw new Error(`publint has remarks\n${tail(out)}`);
  return `publint ${versionOf("publint")} --strict: all good`;
}

// ---------------------------------------------------------------- main

async function main() {
  log(`[matrix] tools: ${await installTools()} (${secs(Date.now() - started)})`);
  const tgz = await packAndInstall();
  log(`[matrix] packed and installed ${tgz.split("/").pop()} into ${APP} (${secs(Date.now() - started)})`);
  const require = createRequire(join(APP, "package.json"));
  const { startEmulator } = require("webpubsub-client/emulator");
  emulator = await startEmulator({ port: 0 });

  const denoEnv = { DENO_DIR: join(temp, "deno-cache"), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
  // Heaviest first, so the pool stays busy to the end.
  const targets = [
    ["typescript", typescriptTarget],
    ["webpack", webTarget("webpack")],
    ["vite", webTarget("vite")],
    ["jest-jsdom", jestTarget("jest-environment-jsdom", {}, process.execPath)],
    // The React Native preset's environment: Node with these conditions; Node 22 has a global WebSocket, as RN does.
    ["jest-react-native", jestTarget("jest-environment-node", { customExportConditions: ["require", "react-native"] }, NODE.node22)],
    ["workerd", workerdTarget],
    ["esbuild", webTarget("esbuild")],
    ["deno", runtimeTarget(DENO, ["run", "--allow-all"], denoEnv)],
    ["bun", runtimeTarget(BUN, [], { BUN_INSTALL_CACHE_DIR: join(temp, "bun-cache") })],
    ...Object.entries(NODE).map(([name, bin]) => [name, runtimeTarget(bin, [])]),
    ["attw", () => attwTarget(tgz)],
    ["publint", () => publintTarget(tgz)],
  ];
  const only = process.env.MATRIX_ONLY?.split(",").filter(Boolean);
  const chosen = only ? targets.filter(([name]) => only.includes(name)) : targets;
  if (only && chosen.length !== only.length) throw new Error(`unknown target in MATRIX_ONLY=${process.env.MATRIX_ONLY}`);

  const results = [];
  const queue = [...chosen];
  const jobs = Math.max(1, Number(process.env.MATRIX_JOBS) || 3);
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let next; (next = queue.shift()); ) {
        const [name, fn] = next;
        const t0 = Date.now();
        try {
          const detail = await fn(name);
          results.push({ name, ok: true });
          log(`ok ${name.padEnd(18)} ${secs(Date.now() - t0).padStart(7)}  ${detail}`);
        } catch (err) {
          results.push({ name, ok: false });
          log(`FAIL ${name.padEnd(16)} ${secs(Date.now() - t0).padStart(7)}  ${err?.message ?? err}`);
        }
      }
    }),
  );
  const failed = results.filter((r) => !r.ok).length;
  log(`toolchain matrix: ${results.length - failed} passed, ${failed} failed (wall ${secs(Date.now() - started)})`);
  return failed === 0;
}

let ok = false;
try {
  ok = await main();
} catch (err) {
  log(`FAIL matrix-setup ${err?.stack ?? err}`);
} finally {
  if (browser) await (await browser.catch(() => undefined))?.close();
  await emulator?.close();
  if (process.env.MATRIX_KEEP === "1") log(`[matrix] kept ${temp}`);
  else rmSync(temp, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
