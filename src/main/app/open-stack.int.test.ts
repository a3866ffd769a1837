import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../core/testing/temp.js';
import { importStackAsync } from '../stackfile/import/index.js';
import { loadStack } from '../core/config/index.js';
import { openChosenFile, writeStackText, type Question } from './open-stack.js';

const tmpDir = (): string => tempDir('vigil-open-');

afterAll(() => removeTempDirs());

describe('Open stack with a real Procfile', () => {
  it('converts it, writes a vigil.yaml that loads, and opens that file', async () => {
    const dir = tmpDir();
    fs.writeFileSync(
      path.join(dir, 'Procfile'),
      'web: node server.js --port $PORT\nworker: node worker.js\n',
    );
    const opened: string[] = [];
    const asked: Question[] = [];
    const outcome = await openChosenFile(path.join(dir, 'Procfile'), {
      ask: async (q) => {
        asked.push(q);
        return 0;
      },
      importStack: (f) => importStackAsync(f),
      exists: (f) => fs.existsSync(f),
      writeFile: writeStackText,
      open: async (f) => {
        opened.push(f);
        return true;
      },
      showError: (err) => {
        throw err;
      },
    });
    expect(outcome).toBe('opened');
    const out = path.join(dir, 'vigil.yaml');
    expect(opened).toEqual([out]);
    expect(asked[0]?.message).toMatch(/Imported 2 services from Procfile/);
    const loaded = loadStack(out, { env: {} });
    expect(loaded.ok).toBe(true);
    if (loaded.ok)
      expect(loaded.config.services.map((s) => s.name).sort()).toEqual(['web', 'worker']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('writeStackText', () => {
  it('never writes over a file unless told to replace it', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'vigil.yaml');
    writeStackText(file, 'first\n', false);
    expect(() => writeStackText(file, 'second\n', false)).toThrow(/EEXIST/);
    expect(fs.readFileSync(file, 'utf8')).toBe('first\n');
    writeStackText(file, 'third\n', true);
    expect(fs.readFileSync(file, 'utf8')).toBe('third\n');
    expect(fs.readdirSync(dir)).toEqual(['vigil.yaml']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
