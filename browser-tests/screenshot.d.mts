export declare function captureChat(file?: string): Promise<string[]>;
