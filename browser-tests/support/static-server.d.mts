export interface StaticServer {
  readonly port: number;
  readonly url: string;
  setFile(path: string, body: string | Uint8Array): void;
  close(): Promise<void>;
}
export declare function contentType(path: string): string;
export declare function startStaticServer(options?: {
  mounts?: Record<string, string>;
  files?: Record<string, string | Uint8Array>;
}): Promise<StaticServer>;
