// Test helper: the first group stream a client sees, read to its end.
import type { GroupStream, GroupStreamMessage } from "../../src/index";

export type Subscribable = { onGroupStream(cb: (s: GroupStream) => void): unknown };

/** Its fragments' data (binary as byte arrays), their stream sequence ids, and how it ended. */
export function firstStream(client: Subscribable): Promise<{ stream: GroupStream; data: unknown[]; seqs: number[]; error?: unknown }> {
  return new Promise((resolve) => {
    let taken = false;
    client.onGroupStream((stream) => {
      if (taken) return;
      taken = true;
      void (async () => {
        const data: unknown[] = [];
        const seqs: number[] = [];
        try {
          for await (const m of stream as AsyncIterable<GroupStreamMessage>) {
            data.push(m.data instanceof ArrayBuffer ? [...new Uint8Array(m.data)] : m.data);
            seqs.push(m.stream.streamSequenceId);
          }
          resolve({ stream, data, seqs });
        } catch (error) {
          resolve({ stream, data, seqs, error });
        }
      })();
    });
  });
}
