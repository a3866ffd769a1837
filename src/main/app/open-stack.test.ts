import { describe, expect, it, vi } from 'vitest';
import { VigilError } from '../../shared/errors.js';
import type { ImportResult } from '../stackfile/import/index.js';
import {
  importQuestion,
  openChosenFile,
  planOpen,
  runCodeQuestion,
  warningLines,
  type OpenFileDeps,
  type Question,
} from './open-stack.js';

const DIR = '/work/shop';

function result(partial: Partial<ImportResult> = {}): ImportResult {
  return {
    format: 'procfile',
    yaml: 'version: 1\nname: shop\nservices: {}\n',
    warnings: [],
    services: ['web', 'worker'],
    outFile: `${DIR}/vigil.yaml`,
    problems: [],
    ...partial,
  };
}

/** Fakes that answer each question with the button named in `answers` (by label). */
function deps(answers: Record<string, string>, overrides: Partial<OpenFileDeps> = {}) {
  const asked: Question[] = [];
  const written: { file: string; text: string; replace: boolean }[] = [];
  const d = {
    ask: vi.fn(async (q: Question) => {
      asked.push(q);
      const label = answers[q.title] ?? q.buttons[q.cancelId]!;
      const i = q.buttons.indexOf(label);
      if (i < 0) throw new Error(`no button "${label}" in ${JSON.stringify(q.buttons)}`);
      return i;
    }),
    importStack: vi.fn(async () => result()),
    exists: vi.fn(() => false),
    writeFile: vi.fn((file: string, text: string, replace: boolean) => {
      written.push({ file, text, replace });
    }),
    open: vi.fn(async () => true),
    showError: vi.fn(),
    ...overrides,
  } satisfies OpenFileDeps;
  return { d, asked, written };
}

describe('planOpen', () => {
  it('tells stack files, other tools files and Docker Compose files apart by name', () => {
    expect(planOpen('/s/vigil.yaml')).toEqual({ kind: 'stack', file: '/s/vigil.yaml' });
    expect(planOpen('/s/Procfile')).toMatchObject({ kind: 'import', runsCode: false });
    expect(planOpen('/s/Procfile.dev')).toMatchObject({ kind: 'import', runsCode: false });
    expect(planOpen('/s/process-compose.yaml')).toMatchObject({ kind: 'import', runsCode: false });
    expect(planOpen('/s/ecosystem.config.json')).toMatchObject({ kind: 'import', runsCode: false });
    expect(planOpen('/s/ecosystem.config.yaml')).toMatchObject({ kind: 'import', runsCode: false });
    expect(planOpen('/s/ecosystem.config.js')).toMatchObject({ kind: 'import', runsCode: true });
    expect(planOpen('/s/ecosystem.config.cjs')).toMatchObject({ kind: 'import', runsCode: true });
    expect(planOpen('/s/docker-compose.yml')).toEqual({
      kind: 'containers',
      file: '/s/docker-compose.yml',
    });
    expect(planOpen('/s/compose.yaml').kind).toBe('containers');
  });
});

describe('the questions', () => {
  it('warns that a JavaScript ecosystem file is run, and cancels by default', () => {
    const q = runCodeQuestion('/s/ecosystem.config.js');
    expect(q.message).toContain('ecosystem.config.js');
    expect(q.detail).toContain('/s/ecosystem.config.js');
    expect(q.buttons[q.defaultId]).toBe('Cancel');
    expect(q.buttons[q.cancelId]).toBe('Cancel');
  });

  it('lists what was not mapped, with file:line:col, and says where the result goes', () => {
    const r = result({
      warnings: [
        { message: 'watch is not supported', file: `${DIR}/Procfile`, line: 3, col: 1 },
        { message: 'cron_restart dropped', file: `${DIR}/ecosystem.config.js`, path: 'apps[0]' },
      ],
    });
    const { question, choices } = importQuestion(`${DIR}/Procfile`, r, false);
    expect(question.message).toBe('Imported 2 services from Procfile (procfile).');
    expect(question.detail).toContain('Procfile:3:1: watch is not supported');
    expect(question.detail).toContain('ecosystem.config.js (apps[0]): cron_restart dropped');
    expect(question.detail).toContain(`written to ${DIR}/vigil.yaml`);
    expect(question.type).toBe('warning');
    expect(choices).toEqual(['write', 'cancel']);
    expect(question.buttons).toEqual(['Write vigil.yaml and Open', 'Cancel']);
  });

  it('asks before replacing an existing vigil.yaml, defaulting to the existing file', () => {
    const { question, choices } = importQuestion(`${DIR}/Procfile`, result(), true);
    expect(question.detail).toContain(`${DIR}/vigil.yaml already exists`);
    expect(choices[question.defaultId]).toBe('open-existing');
    expect(choices[question.cancelId]).toBe('cancel');
  });

  it('shows the first warnings and counts the rest', () => {
    const many = result({
      warnings: Array.from({ length: 20 }, (_, i) => ({
        message: `w${i}`,
        file: `${DIR}/Procfile`,
        line: i + 1,
        col: 1,
      })),
    });
    const lines = warningLines(many);
    expect(lines).toHaveLength(13);
    expect(lines.at(-1)).toMatch(/and 8 more/);
  });
});

describe('openChosenFile', () => {
  it('opens a Vigil stack file as it is', async () => {
    const { d, asked } = deps({});
    expect(await openChosenFile('/s/vigil.yaml', d)).toBe('opened');
    expect(d.open).toHaveBeenCalledWith('/s/vigil.yaml');
    expect(d.importStack).not.toHaveBeenCalled();
    expect(asked).toEqual([]);
  });

  it('a Docker Compose file gets the plain message and nothing else', async () => {
    const { d, asked } = deps({});
    expect(await openChosenFile('/s/docker-compose.yml', d)).toBe('cancelled');
    expect(asked.map((q) => q.title)).toEqual(['Containers are not run by Vigil']);
    expect(d.importStack).not.toHaveBeenCalled();
    expect(d.open).not.toHaveBeenCalled();
  });

  it('imports a Procfile, writes vigil.yaml beside it (never over a file), then opens it', async () => {
    const { d, written } = deps({ 'Import stack': 'Write vigil.yaml and Open' });
    expect(await openChosenFile(`${DIR}/Procfile`, d)).toBe('opened');
    expect(d.importStack).toHaveBeenCalledWith(`${DIR}/Procfile`);
    expect(written).toEqual([{ file: `${DIR}/vigil.yaml`, text: result().yaml, replace: false }]);
    expect(d.open).toHaveBeenCalledWith(`${DIR}/vigil.yaml`);
  });

  it('with a vigil.yaml already there: replace it, open it instead, or stop', async () => {
    const replace = deps({ 'Import stack': 'Replace and Open' }, { exists: () => true });
    expect(await openChosenFile(`${DIR}/Procfile`, replace.d)).toBe('opened');
    expect(replace.written[0]).toMatchObject({ replace: true });

    const existing = deps({ 'Import stack': 'Open the Existing File' }, { exists: () => true });
    expect(await openChosenFile(`${DIR}/Procfile`, existing.d)).toBe('opened');
    expect(existing.written).toEqual([]);
    expect(existing.d.open).toHaveBeenCalledWith(`${DIR}/vigil.yaml`);

    const cancel = deps({ 'Import stack': 'Cancel' }, { exists: () => true });
    expect(await openChosenFile(`${DIR}/Procfile`, cancel.d)).toBe('cancelled');
    expect(cancel.written).toEqual([]);
    expect(cancel.d.open).not.toHaveBeenCalled();
  });

  it('asks before running a JavaScript ecosystem file; declined, it runs nothing', async () => {
    const no = deps({});
    expect(await openChosenFile(`${DIR}/ecosystem.config.js`, no.d)).toBe('cancelled');
    expect(no.asked.map((q) => q.title)).toEqual(['Run this file to import it?']);
    expect(no.d.importStack).not.toHaveBeenCalled();

    const yes = deps({
      'Run this file to import it?': 'Run It and Import',
      'Import stack': 'Write vigil.yaml and Open',
    });
    expect(await openChosenFile(`${DIR}/ecosystem.config.js`, yes.d)).toBe('opened');
    expect(yes.d.importStack).toHaveBeenCalledWith(`${DIR}/ecosystem.config.js`);
  });

  it('a file that cannot be imported or written is reported, and nothing is opened', async () => {
    const broken = deps(
      {},
      {
        importStack: async () => {
          throw new VigilError('STACK_INVALID', 'cannot tell what Procfile is');
        },
      },
    );
    expect(await openChosenFile(`${DIR}/Procfile`, broken.d)).toBe('not-opened');
    expect(broken.d.showError).toHaveBeenCalledWith(
      expect.objectContaining({ code: 'STACK_INVALID' }),
    );
    expect(broken.d.open).not.toHaveBeenCalled();

    const readOnly = deps(
      { 'Import stack': 'Write vigil.yaml and Open' },
      {
        writeFile: () => {
          throw new Error('EACCES: permission denied');
        },
      },
    );
    expect(await openChosenFile(`${DIR}/Procfile`, readOnly.d)).toBe('not-opened');
    expect(readOnly.d.showError).toHaveBeenCalledWith(
      expect.objectContaining({
        message: `cannot write ${DIR}/vigil.yaml: EACCES: permission denied`,
      }),
    );
    expect(readOnly.d.open).not.toHaveBeenCalled();
  });
});
