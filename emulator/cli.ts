/** The `webpubsub-emulator` command: starts the local service and logs connection events. */
import { parseArgs } from "node:util";
import { startEmulator, type Emulator, type EmulatorOptions } from "./index";

export const USAGE = `Usage: webpubsub-emulator [--port 8080] [--host 127.0.0.1] [--access-key KEY] [--event-handler URL] [--ping-interval SECONDS]

Starts a local Azure Web PubSub service and prints its connection string.

Options:
  --port PORT           port to listen on (0 picks a free one; default 8080)
  --host HOST           address to listen on (default 127.0.0.1)
  --access-key KEY      access key that signs and verifies tokens (default: a fixed development key)
  --event-handler URL   upstream event handler URL template; may contain {event} and {hub}
  --ping-interval S     WebSocket-level ping to every client every S seconds (1-120, as Azure; 0 = off; default 20)
  --help                show this help`;

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

export type CliOutcome =
  | { kind: "exit"; code: number }
  | { kind: "running"; emulator: Emulator; stop: () => Promise<void> };

export type ParsedCli = { kind: "help" } | { kind: "run"; options: EmulatorOptions & { port: number; host: string } } | { kind: "error"; message: string };

export function parseCliArgs(argv: string[]): ParsedCli {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "access-key": { type: "string" },
        "event-handler": { type: "string" },
        "ping-interval": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    return { kind: "error", message: err instanceof Error ? err.message : String(err) };
  }
  if (values.help) return { kind: "help" };
  const portText = typeof values.port === "string" ? values.port : "8080";
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return { kind: "error", message: `--port must be a number from 0 to 65535, not '${portText}'` };
  const host = typeof values.host === "string" ? values.host : "127.0.0.1";
  if (host === "") return { kind: "error", message: "--host must not be empty" };
  const options: EmulatorOptions & { port: number; host: string } = { port: Number(portText), host };
  const key = values["access-key"];
  if (typeof key === "string") {
    if (key === "" || key.includes(";")) return { kind: "error", message: "--access-key must be non-empty and contain no ';'" };
    options.accessKey = key;
  }
  const handler = values["event-handler"];
  if (typeof handler === "string") {
    try {
      const url = new URL(handler.replace(/\{event\}/gi, "event").replace(/\{hub\}/gi, "hub"));
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme");
    } catch {
      return { kind: "error", message: `--event-handler must be an http(s) URL, not '${handler}'` };
    }
    options.eventHandler = handler;
  }
  const ping = values["ping-interval"];
  if (typeof ping === "string") {
    const seconds = /^\d{1,3}$/.test(ping) ? Number(ping) : NaN;
    if (!(seconds === 0 || (seconds >= 1 && seconds <= 120))) return { kind: "error", message: `--ping-interval must be a whole number of seconds from 1 to 120 (or 0 for none), not '${ping}'` };
    options.pingIntervalMs = seconds * 1000;
  }
  return { kind: "run", options };
}

/** Runs the CLI without touching the process: returns an exit code, or the running emulator. */
export async function runCli(argv: string[], io: CliIo): Promise<CliOutcome> {
  const parsed = parseCliArgs(argv);
  if (parsed.kind === "help") {
    io.stdout(USAGE);
    return { kind: "exit", code: 0 };
  }
  if (parsed.kind === "error") {
    io.stderr(`webpubsub-emulator: ${parsed.message}`);
    io.stderr(USAGE);
    return { kind: "exit", code: 2 };
  }
  const { port, host } = parsed.options;
  let emulator: Emulator;
  try {
    emulator = await startEmulator({ ...parsed.options, logger: (line) => io.stdout(`${new Date().toISOString()} ${line}`) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") io.stderr(`webpubsub-emulator: port ${port} on ${host} is already in use; pick another with --port (0 picks a free one).`);
    else if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") io.stderr(`webpubsub-emulator: cannot listen on host ${host} (${code}).`);
    else if (code === "EACCES") io.stderr(`webpubsub-emulator: no permission to listen on port ${port}.`);
    else io.stderr(`webpubsub-emulator: cannot start: ${err instanceof Error ? err.message : String(err)}`);
    return { kind: "exit", code: 1 };
  }
  io.stdout(emulator.connectionString);
  io.stdout(`Web PubSub emulator listening on ${emulator.endpoint} (clients: ${emulator.endpoint.replace(/^http/, "ws")}/client/hubs/{hub})`);
  return { kind: "running", emulator, stop: () => emulator.close() };
}

/** Process entry point used by `bin/webpubsub-emulator.mjs`. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const io: CliIo = { stdout: (line) => process.stdout.write(`${line}\n`), stderr: (line) => process.stderr.write(`${line}\n`) };
  const outcome = await runCli(argv, io);
  if (outcome.kind === "exit") {
    process.exitCode = outcome.code;
    return;
  }
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    io.stdout(`${new Date().toISOString()} ${signal}: shutting down`);
    outcome.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        io.stderr(`webpubsub-emulator: error while shutting down: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}
