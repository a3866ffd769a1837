/**
 * Temporary directories for tests: one helper for every test that needs one. Each directory is
 * remembered until `removeTempDirs()` (call it in `afterEach`/`afterAll`) deletes it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

/** A new empty directory under the system's temp directory. */
export function tempDir(prefix?: string): string;
/** A new directory holding `files` (relative paths; parent directories are created). */
export function tempDir(files: Readonly<Record<string, string>>, prefix?: string): string;
export function tempDir(
  filesOrPrefix: Readonly<Record<string, string>> | string = {},
  prefix = 'vigil-test-',
): string {
  const files = typeof filesOrPrefix === 'string' ? {} : filesOrPrefix;
  const dir = fs.mkdtempSync(
    path.join(os.tmpdir(), typeof filesOrPrefix === 'string' ? filesOrPrefix : prefix),
  );
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return dir;
}

/** Deletes every directory `tempDir` made so far. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
