import type { Page } from "playwright-core";
export declare function watchPage(page: Page, label?: string): string[];
