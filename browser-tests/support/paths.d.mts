export declare const ROOT: string;
export declare const DIST: string;
export declare const PAGES: string;
export declare const EXAMPLES: string;
export declare function requireDist(files?: string[]): void;
