/**
 * Evaluating a JavaScript ecosystem file (`module.exports = { apps: [...] }`) to get its value.
 * The file is code, so it runs in a child `node` process with a time limit, never inside Vigil;
 * the child writes the value as JSON on file descriptor 3, so whatever the file prints does not
 * matter. Values JSON cannot carry (functions, symbols) are listed so the import can warn.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { VigilError } from '../../../shared/errors.js';

export const EVALUATE_TIMEOUT_MS = 5_000;
const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

export interface EvaluatedModule {
  readonly value: unknown;
  /** Key paths whose values could not be carried over (functions, symbols, cycles). */
  readonly dropped: readonly string[];
  /** How the file was read, when that is worth saying (e.g. evaluated as CommonJS). */
  readonly notes: readonly string[];
}

/** The child's program: import the file (CommonJS or ES module), then write JSON on fd 3. */
const CHILD = String.raw`
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
// "node -e" exposes built-in modules as globals (one is called "module"): hide the CommonJS names,
// so that an ES module file writing module.exports fails as it would anywhere else.
for (const name of ['module', 'exports', 'require']) delete globalThis[name];
const file = process.argv[1];
const notes = [];
const fail = (err) => {
  const at = String((err && err.stack) || '').split('\n').find((l) => l.includes(file)) || '';
  const where = /:(\d+):(\d+)\)?\s*$/.exec(at);
  const name = err && err.name ? err.name + ': ' : '';
  fs.writeSync(3, JSON.stringify({ error: name + ((err && err.message) || String(err)), line: where ? Number(where[1]) : undefined }));
  process.exit(1);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
let value;
try {
  const ns = await import(pathToFileURL(file).href);
  value = ns.default !== undefined ? ns.default : { ...ns };
} catch (err) {
  const cjsNames = /\b(module|exports|require|__dirname|__filename) is not defined\b/;
  if (!(err instanceof ReferenceError && cjsNames.test(err.message))) throw err;
  // CommonJS in a "type": "module" package: evaluate it as CommonJS, as its author meant.
  const source = fs.readFileSync(file, 'utf8').replace(/^#!.*/, '');
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', '__filename', '__dirname', source)(
    mod, mod.exports, createRequire(file), file, path.dirname(file));
  value = mod.exports;
  notes.push('evaluated as CommonJS although its package.json says "type": "module" (PM2 needs it renamed to .cjs)');
}
if (value !== null && typeof value === 'object' && typeof value.then === 'function') value = await value;
const dropped = [];
const seen = new WeakSet();
const clean = (v, at, depth) => {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'undefined') return undefined;
  if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') {
    dropped.push(at + ' (' + typeof v + ')');
    return undefined;
  }
  if (v instanceof RegExp || v instanceof Date) return String(v);
  if (seen.has(v) || depth > 32) { dropped.push(at + ' (circular or too deep)'); return undefined; }
  seen.add(v);
  let out;
  if (Array.isArray(v)) out = v.map((x, i) => clean(x, at + '[' + i + ']', depth + 1) ?? null);
  else {
    out = {};
    for (const [k, x] of Object.entries(v)) {
      const c = clean(x, at ? at + '.' + k : k, depth + 1);
      if (c !== undefined) out[k] = c;
    }
  }
  seen.delete(v);
  return out;
};
const result = { value: clean(value, '', 0) ?? null, dropped, notes };
fs.writeSync(3, JSON.stringify(result));
`;

function childArgs(file: string): string[] {
  return ['--input-type=module', '-e', CHILD, path.resolve(file)];
}

function childOptions(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): SpawnOptions {
  return {
    cwd: path.dirname(path.resolve(file)),
    // Inside the desktop app the executable is Electron's: this makes it behave as plain node.
    env: { ...env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    windowsHide: true,
  };
}

function parseResult(
  file: string,
  out: string,
  stderr: string,
  code: number | null,
): EvaluatedModule {
  let parsed: {
    value?: unknown;
    dropped?: string[];
    notes?: string[];
    error?: string;
    line?: number;
  };
  try {
    parsed = JSON.parse(out) as typeof parsed;
  } catch {
    parsed = {};
  }
  if (parsed.error !== undefined) {
    const line = parsed.line ?? 1;
    throw new VigilError('STACK_INVALID', `cannot evaluate ${file}:${line}: ${parsed.error}`, {
      location: { file, line, col: 1 },
      hint: `run \`node ${path.basename(file)}\` to see the error in full`,
    });
  }
  if (code !== 0 || !('value' in parsed)) {
    const tail = stderr
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-6)
      .join('\n');
    throw new VigilError(
      'STACK_INVALID',
      `cannot evaluate ${file}: ${tail || `node exited with code ${code}`}`,
      { location: { file, line: 1, col: 1 } },
    );
  }
  return { value: parsed.value, dropped: parsed.dropped ?? [], notes: parsed.notes ?? [] };
}

function timedOut(file: string, ms: number): VigilError {
  return new VigilError(
    'STACK_INVALID',
    `cannot evaluate ${file}: it did not finish within ${ms} ms`,
    {
      location: { file, line: 1, col: 1 },
      hint: 'an ecosystem file should only build and export its configuration',
    },
  );
}

/** Evaluates the module in a child node process and waits for it (blocking, bounded). */
export function evaluateModuleSync(
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  timeoutMs = EVALUATE_TIMEOUT_MS,
): EvaluatedModule {
  const r = spawnSync(process.execPath, childArgs(file), {
    ...childOptions(file, env),
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: MAX_OUTPUT_BYTES,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT')
    throw timedOut(file, timeoutMs);
  if (r.error) throw new VigilError('SPAWN_FAILED', `cannot evaluate ${file}: ${r.error.message}`);
  const out = r.output[3]?.toString('utf8') ?? '';
  return parseResult(file, out, r.stderr?.toString('utf8') ?? '', r.status);
}

/** Evaluates the module in a child node process without blocking the event loop. */
export function evaluateModule(
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  timeoutMs = EVALUATE_TIMEOUT_MS,
): Promise<EvaluatedModule> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, childArgs(file), childOptions(file, env));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const collect = (into: Buffer[]) => (b: Buffer) => {
      bytes += b.length;
      if (bytes > MAX_OUTPUT_BYTES) child.kill('SIGKILL');
      else into.push(b);
    };
    child.stdio[3]?.on('data', collect(out));
    child.stderr?.on('data', collect(err));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new VigilError('SPAWN_FAILED', `cannot evaluate ${file}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (expired) return reject(timedOut(file, timeoutMs));
      try {
        resolve(
          parseResult(
            file,
            Buffer.concat(out).toString('utf8'),
            Buffer.concat(err).toString('utf8'),
            code,
          ),
        );
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}
