export function bundleTs(entry: string, name?: string): Promise<string>;
export function importTs(entry: string, name?: string): Promise<Record<string, any>>;
