import type { Page } from "playwright-core";
export declare function joinChat(page: Page, url: string, user: string): Promise<void>;
export declare function say(page: Page, text: string): Promise<void>;
export declare function waitForMessage(page: Page, from: string, text: string): Promise<void>;
export declare function messagesOn(page: Page): Promise<{ from: string | null; text: string; mine: boolean }[]>;
export declare function recordStates(page: Page): Promise<void>;
export declare function recordedStates(page: Page): Promise<string[]>;
export declare const CONVERSATION: [string, string][];
export declare function converse(pages: Record<string, Page>, lines?: [string, string][]): Promise<void>;
