import { execFileSync } from 'node:child_process';

/**
 * Finds a system binary a suite needs (redis-server, chromium). Missing on a laptop: the suite is skipped
 * with a loud line naming the Debian package. Missing under INTERCHANGE_REQUIRE_SYSTEM_DEPS=1 (CI): an error.
 */
export function findSystemBinary(binary: string, debianPackage: string): string | undefined {
  let path: string | undefined;
  try {
    path = execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    path = undefined;
  }
  if (path) return path;
  const message = `${binary} not found on PATH: install the Debian package "${debianPackage}" (apt-get install ${debianPackage})`;
  if (process.env['INTERCHANGE_REQUIRE_SYSTEM_DEPS'] === '1') throw new Error(`${message}; INTERCHANGE_REQUIRE_SYSTEM_DEPS=1 forbids skipping`);
  console.warn(`\n!!! SKIPPING suites that need ${binary}: ${message} !!!\n`);
  return undefined;
}
