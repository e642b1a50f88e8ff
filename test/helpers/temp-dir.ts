import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A temporary directory removed on dispose: `using dir = tempDir()`. `write` replaces a file atomically (a
 * temporary file renamed over it), as editors save, so a process watching the file never reads it half-written.
 */
export function tempDir(): { path: string; write(name: string, text: string): string } & Disposable {
  const path = mkdtempSync(join(tmpdir(), 'interchange-test-'));
  return {
    path,
    write(name, text) {
      const file = join(path, name);
      mkdirSync(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(temporary, text);
      renameSync(temporary, file);
      return file;
    },
    [Symbol.dispose]() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}
