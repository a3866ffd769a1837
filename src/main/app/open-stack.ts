/**
 * "Open stack" for files that are not Vigil stack files yet: a process-compose.yaml, a Procfile or
 * a PM2 ecosystem file is converted (asking first before running a JavaScript ecosystem file,
 * which is a program), its warnings shown, the result written beside it as vigil.yaml (never over
 * an existing file without asking) and opened. A Docker Compose file gets a plain answer: Vigil
 * runs processes, not containers. The questions are data and the steps take their effects as
 * parameters, so both are tested without Electron.
 */
import fs from 'node:fs';
import path from 'node:path';
import { VigilError } from '../../shared/errors.js';
import {
  formatWarning,
  isDockerComposeName,
  isImportableName,
  type ImportResult,
} from '../stackfile/import/index.js';

export type OpenPlan =
  /** A Vigil stack file (or anything else: the loader says what is wrong with it). */
  | { readonly kind: 'stack'; readonly file: string }
  /** Another tool's stack file, converted first; `runsCode` for a JavaScript ecosystem file. */
  | { readonly kind: 'import'; readonly file: string; readonly runsCode: boolean }
  /** A Docker Compose file: containers, which Vigil does not run. */
  | { readonly kind: 'containers'; readonly file: string };

export function planOpen(file: string): OpenPlan {
  if (isDockerComposeName(file)) return { kind: 'containers', file };
  if (isImportableName(file))
    return { kind: 'import', file, runsCode: /\.(c|m)?js$/i.test(path.basename(file)) };
  return { kind: 'stack', file };
}

/** The open dialog's filters: everything Vigil can open first (a Procfile has no extension). */
export const OPEN_FILTERS: readonly { readonly name: string; readonly extensions: string[] }[] = [
  { name: 'Stacks (vigil.yaml, Procfile, process-compose, PM2 ecosystem)', extensions: ['*'] },
  { name: 'Vigil stack files', extensions: ['yaml', 'yml'] },
];

/** A message box: what the shell shows, and the button chosen is an index into `buttons`. */
export interface Question {
  readonly type: 'none' | 'info' | 'error' | 'question' | 'warning';
  readonly title: string;
  readonly message: string;
  readonly detail: string;
  readonly buttons: readonly string[];
  readonly defaultId: number;
  readonly cancelId: number;
}

export function containersNotice(file: string): Question {
  const base = path.basename(file);
  return {
    type: 'info',
    title: 'Containers are not run by Vigil',
    message: `${base} describes containers, which Vigil does not run.`,
    detail:
      'Vigil supervises processes on this machine. Start the containers with `docker compose up`, ' +
      'or add one service to a vigil.yaml whose command is `docker compose up`.',
    buttons: ['OK'],
    defaultId: 0,
    cancelId: 0,
  };
}

export function runCodeQuestion(file: string): Question {
  const base = path.basename(file);
  return {
    type: 'warning',
    title: 'Run this file to import it?',
    message: `${base} is a program: reading it means running it.`,
    detail:
      `A PM2 ecosystem file in JavaScript can do anything its code says. Vigil runs it with Node in ` +
      `a separate process (at most 5 seconds) to read its apps. Only go on if you trust ${file}.`,
    buttons: ['Run It and Import', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
  };
}

const SHOWN_WARNINGS = 12;

/** What the import found and did not map, one line each (the first few, then how many more). */
export function warningLines(result: ImportResult): string[] {
  const lines = result.warnings.map((w) => formatWarning(w, path.basename(w.file)));
  if (lines.length <= SHOWN_WARNINGS) return lines;
  return [
    ...lines.slice(0, SHOWN_WARNINGS),
    `… and ${lines.length - SHOWN_WARNINGS} more (run \`vigil import\` to see them all)`,
  ];
}

export type WriteChoice = 'write' | 'replace' | 'open-existing' | 'cancel';

/**
 * The import's summary and warnings, and what to do with the result: write it (or, when a
 * vigil.yaml is already there, replace it or open the existing one).
 */
export function importQuestion(
  input: string,
  result: ImportResult,
  outExists: boolean,
): { readonly question: Question; readonly choices: readonly WriteChoice[] } {
  const n = result.services.length;
  const warnings = warningLines(result);
  const problems = result.problems.filter((p) => p.severity === 'error');
  const out = path.basename(result.outFile);
  const detail = [
    `Services: ${result.services.join(', ') || 'none'}.`,
    warnings.length > 0
      ? `${result.warnings.length} ${result.warnings.length === 1 ? 'thing was' : 'things were'} not mapped:\n${warnings.join('\n')}`
      : 'Everything was mapped.',
    ...(problems.length > 0
      ? [
          `The result does not load yet (${problems.length} error${problems.length === 1 ? '' : 's'}); fix ${out} after it is written.`,
        ]
      : []),
    outExists
      ? `${result.outFile} already exists. Replace it with the imported stack, or open the existing file?`
      : `It will be written to ${result.outFile} and opened.`,
  ].join('\n\n');
  const message = `Imported ${n} service${n === 1 ? '' : 's'} from ${path.basename(input)} (${result.format}).`;
  if (outExists) {
    return {
      question: {
        type: 'question',
        title: 'Import stack',
        message,
        detail,
        buttons: ['Replace and Open', 'Open the Existing File', 'Cancel'],
        defaultId: 1,
        cancelId: 2,
      },
      choices: ['replace', 'open-existing', 'cancel'],
    };
  }
  return {
    question: {
      type: warnings.length > 0 || problems.length > 0 ? 'warning' : 'info',
      title: 'Import stack',
      message,
      detail,
      buttons: [`Write ${out} and Open`, 'Cancel'],
      defaultId: 0,
      cancelId: 1,
    },
    choices: ['write', 'cancel'],
  };
}

/**
 * Writes the stack file text: only when no file is there (checked by the write itself, so a file
 * that appears meanwhile is not overwritten), or through a temporary file when replacing.
 */
export function writeStackText(file: string, text: string, replace: boolean): void {
  if (!replace) {
    fs.writeFileSync(file, text, { flag: 'wx' });
    return;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

export interface OpenFileDeps {
  /** Shows a question; resolves to the index of the button chosen. */
  ask(q: Question): Promise<number>;
  importStack(file: string): Promise<ImportResult>;
  exists(file: string): boolean;
  writeFile(file: string, text: string, replace: boolean): void;
  /** Opens a Vigil stack file (and reports its errors); true when it runs. */
  open(file: string): Promise<boolean>;
  showError(err: unknown): void;
}

export type OpenOutcome = 'opened' | 'not-opened' | 'cancelled';

/** What "Open stack" does with the chosen file. */
export async function openChosenFile(file: string, deps: OpenFileDeps): Promise<OpenOutcome> {
  const plan = planOpen(file);
  if (plan.kind === 'containers') {
    await deps.ask(containersNotice(file));
    return 'cancelled';
  }
  if (plan.kind === 'stack') return (await deps.open(file)) ? 'opened' : 'not-opened';
  if (plan.runsCode) {
    const q = runCodeQuestion(file);
    if ((await deps.ask(q)) !== 0) return 'cancelled';
  }
  let result: ImportResult;
  try {
    result = await deps.importStack(file);
  } catch (err) {
    deps.showError(err);
    return 'not-opened';
  }
  const exists = deps.exists(result.outFile);
  const { question, choices } = importQuestion(file, result, exists);
  const choice = choices[await deps.ask(question)] ?? 'cancel';
  if (choice === 'cancel') return 'cancelled';
  if (choice === 'write' || choice === 'replace') {
    try {
      deps.writeFile(result.outFile, result.yaml, choice === 'replace');
    } catch (err) {
      deps.showError(
        new VigilError(
          'INTERNAL',
          `cannot write ${result.outFile}: ${err instanceof Error ? err.message : String(err)}`,
          {
            hint: `convert it elsewhere with \`vigil import ${path.basename(file)} -o OTHER.yaml\``,
          },
        ),
      );
      return 'not-opened';
    }
  }
  return (await deps.open(result.outFile)) ? 'opened' : 'not-opened';
}
