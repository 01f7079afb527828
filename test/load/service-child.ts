// The local service alone in a child process, so its memory is measured without the
// clients'. Driven over IPC: it answers "ready" with its endpoint, "mem" with its memory
// after a full GC, "url" with a client access URL, and exits on "close".
import { startEmulator } from "../../emulator/index";

type Request = { id: number; op: "mem" } | { id: number; op: "url"; hub: string; groups?: string[] } | { id: number; op: "close" };

const gc = (globalThis as { gc?: () => void }).gc;

function memory(): { rss: number; heapUsed: number; external: number; arrayBuffers: number } {
  // a few rounds: weak and finalization work settles between them
  for (let i = 0; i < 3; i++) gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

const emu = await startEmulator({ port: 0, host: "127.0.0.1" });
process.send!({ op: "ready", endpoint: emu.endpoint, connectionString: emu.connectionString, gc: typeof gc === "function" });
process.on("message", (req: Request) => {
  void (async () => {
    switch (req.op) {
      case "mem":
        process.send!({ id: req.id, result: memory() });
        break;
      case "url":
        process.send!({ id: req.id, result: await emu.getClientAccessUrl(req.hub, req.groups ? { groups: req.groups, expiresInMinutes: 30 } : { expiresInMinutes: 30 }) });
        break;
      case "close":
        await emu.close();
        process.send!({ id: req.id, result: true }, () => process.exit(0));
        break;
    }
  })();
});
process.on("disconnect", () => process.exit(0));
