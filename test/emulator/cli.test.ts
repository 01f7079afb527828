import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, onTestFinished, test } from "vitest";
import { parseCliArgs, runCli, USAGE } from "../../emulator/cli";
import { connect } from "./helpers";

const root = fileURLToPath(new URL("../../", import.meta.url));

function io(): { out: string[]; err: string[]; io: { stdout: (l: string) => void; stderr: (l: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (l) => out.push(l), stderr: (l) => err.push(l) } };
}

async function busyPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

describe("CLI", () => {
  test("argument parsing", () => {
    expect(parseCliArgs([])).toEqual({ kind: "run", options: { port: 8080, host: "127.0.0.1" } });
    expect(parseCliArgs(["--port", "0", "--host", "0.0.0.0", "--access-key", "k", "--event-handler", "http://h/x/{event}"])).toEqual({
      kind: "run",
      options: { port: 0, host: "0.0.0.0", accessKey: "k", eventHandler: "http://h/x/{event}" },
    });
    expect(parseCliArgs(["--help"])).toEqual({ kind: "help" });
    for (const bad of [["--port", "x"], ["--port", "70000"], ["--bogus"], ["extra"], ["--event-handler", "ftp://x"], ["--access-key", "a;b"], ["--port"]]) {
      expect(parseCliArgs(bad).kind).toBe("error");
    }
  });

  test("help exits 0, bad flags print usage and exit 2", async () => {
    const h = io();
    expect(await runCli(["--help"], h.io)).toEqual({ kind: "exit", code: 0 });
    expect(h.out.join("\n")).toBe(USAGE);
    const b = io();
    expect(await runCli(["--nope"], b.io)).toEqual({ kind: "exit", code: 2 });
    expect(b.err[0]).toMatch(/^webpubsub-emulator: /);
    expect(b.err.join("\n")).toContain("Usage:");
  });

  test("runs: the Endpoint= line, then one log line per connect/disconnect", async () => {
    const h = io();
    const outcome = await runCli(["--port", "0", "--access-key", "cli-key"], h.io);
    if (outcome.kind !== "running") throw new Error("not running");
    onTestFinished(() => outcome.stop());
    expect(h.out[0]).toBe(outcome.emulator.connectionString);
    expect(h.out[0]).toMatch(/^Endpoint=http:\/\/127\.0\.0\.1:\d+;AccessKey=cli-key;Version=1\.0;$/);
    const { client } = await connect(outcome.emulator, "chat", { userId: "cli" });
    const gone = new Promise((resolve) => outcome.emulator.events.once("disconnect", resolve));
    client.ws.close(1000);
    await gone;
    expect(h.out.filter((l) => / (connect|disconnect) hub=chat connectionId=\S+ userId=cli$/.test(l))).toHaveLength(2);
    await outcome.stop();
  });

  test("a taken port: one clear line, exit 1", async () => {
    const port = await busyPort();
    const h = io();
    expect(await runCli(["--port", String(port)], h.io)).toEqual({ kind: "exit", code: 1 });
    expect(h.err).toEqual([`webpubsub-emulator: port ${port} on 127.0.0.1 is already in use; pick another with --port (0 picks a free one).`]);
  });

  test("the built bin starts, prints Endpoint=, and exits 0 on SIGTERM; exit 1 on a taken port", async () => {
    const built = `${root}dist/emulator/cli.mjs`;
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first (npm test does).`);
    const child = spawn(process.execPath, [`${root}bin/webpubsub-emulator.mjs`, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    let out = "";
    const endpointLine = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const line = out.split("\n").find((l) => l.startsWith("Endpoint="));
        if (line) resolve(line);
      });
      child.once("exit", (code) => reject(new Error(`exited early with ${String(code)}: ${out}`)));
    });
    const port = Number(/:(\d+);/.exec(endpointLine)![1]);
    expect(port).toBeGreaterThan(0);
    const second = spawn(process.execPath, [`${root}bin/webpubsub-emulator.mjs`, "--port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
    let secondErr = "";
    second.stderr.on("data", (d: Buffer) => (secondErr += d.toString()));
    const secondCode = await new Promise<number | null>((resolve) => second.once("exit", (code) => resolve(code)));
    expect(secondCode).toBe(1);
    expect(secondErr).toMatch(/already in use/);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
