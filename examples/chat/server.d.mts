import type { Emulator } from "webpubsub-client/emulator";
export declare const HUB: string;
export declare const ROOM: string;
export interface ChatServer {
  url: string;
  port: number;
  hub: string;
  connectionString: string;
  emulator?: Emulator;
  close(): Promise<void>;
}
export declare function startChat(options?: {
  port?: number;
  host?: string;
  connectionString?: string;
  hub?: string;
  staticRoots?: string[];
  log?: (line: string) => void;
}): Promise<ChatServer>;
