/** Turns colour on or off for every function here (it starts off with `NO_COLOR`). */
export function setColorEnabled(value: boolean): void;
/** Whether colour is on. */
export function getColorEnabled(): boolean;
/** Bold text. */
export function bold(str: string): string;
/** Dim text. */
export function dim(str: string): string;
/** Green text. */
export function green(str: string): string;
/** Red text. */
export function red(str: string): string;
/** Yellow text. */
export function yellow(str: string): string;
/** Cyan text. */
export function cyan(str: string): string;
/** The text without ANSI escape codes. */
export function stripAnsiCode(str: string): string;
