import { isBootError } from '../errors.js';

/** What `interchange` prints for an error that stops it: a boot error with every problem, else the stack. */
export function failureText(error: unknown): string {
  if (isBootError(error)) return `interchange: ${error.code}: ${error.message}\n`;
  return `interchange: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`;
}
