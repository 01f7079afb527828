// The child side of a bench measurement process (bench/client.mjs, bench/protobuf-client.mjs):
// `service(cmd, args)` calls a command of the bench service through the parent, which relays
// it over IPC (bench/run.mjs, bench/protobuf.mjs) and sends back `{ rpc, result }` or `{ rpc, error }`.
let rpcId = 0;
const waiting = new Map();
process.on("message", (msg) => {
  const w = waiting.get(msg.rpc);
  if (!w) return;
  waiting.delete(msg.rpc);
  if (msg.error) w.reject(new Error(msg.error));
  else w.resolve(msg.result);
});

/** Calls a command of the service process (bench/service.mjs, bench/protobuf-service.mjs). */
export function service(cmd, args) {
  const rpc = ++rpcId;
  return new Promise((resolve, reject) => {
    waiting.set(rpc, { resolve, reject });
    process.send({ rpc, cmd, args });
  });
}
