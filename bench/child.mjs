// Runs one resilience measurement in a fresh process, like every other bench measurement:
// `runInChild(module, args, timeoutMs)` forks `module` with `args`; the module measures, then
// `process.send({ result })` (or `{ error }`) via `reportFromChild`.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export function runInChild(moduleUrl, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(moduleUrl), args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let done = false;
    const end = (err, result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill("SIGKILL");
      if (err) reject(err);
      else resolve(result);
    };
    const timer = setTimeout(() => end(new Error(`${args.join(" ")}: timed out after ${timeoutMs / 1000} s`)), timeoutMs);
    child.on("message", (m) => (m?.error !== undefined ? end(new Error(`${args.join(" ")}: ${m.error}`)) : m?.result !== undefined && end(undefined, m.result)));
    child.on("exit", (code) => end(new Error(`${args.join(" ")}: the process exited (${code}) without a result`)));
  });
}

/** True when `moduleUrl` is the script this process runs (the child side). */
export function isChild(moduleUrl) {
  return process.argv[1] === fileURLToPath(moduleUrl) && typeof process.send === "function";
}

export async function reportFromChild(measure) {
  try {
    const result = await measure();
    process.send({ result }, () => process.exit(0));
  } catch (err) {
    process.send({ error: String(err?.stack ?? err) }, () => process.exit(1));
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
