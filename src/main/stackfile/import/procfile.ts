/**
 * Procfile -> Vigil stack. Each `type: command` line becomes a service run through the shell in
 * the Procfile's directory with the `.env` beside it, as foreman and `heroku local` run them; `web`
 * gets a PORT (foreman's 5000 unless the .env or the command says otherwise), and `release` becomes
 * a oneshot job the other processes wait for, as Heroku runs it before a release starts.
 */
import path from 'node:path';
import { VigilError } from '../../../shared/errors.js';
import { readDotenv, type ConvertContext } from './context.js';
import { escapeInterpolation } from './escape.js';
import { NameRegistry } from './names.js';
import type { Conversion, DraftService, SourcePos } from './types.js';
import { WarningList } from './warnings.js';

const LINE_RE = /^([A-Za-z0-9_-]+):[ \t]*(.*)$/;
/** foreman's first port. */
export const FOREMAN_PORT = 5000;

interface ProcLine {
  readonly type: string;
  readonly command: string;
  readonly pos: SourcePos;
}

/** The process lines of a Procfile; comments, blanks and unreadable lines become warnings. */
export function parseProcfile(source: string, w: WarningList): ProcLine[] {
  const lines = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  const out: ProcLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = LINE_RE.exec(line);
    if (!m) {
      const col = line.length - line.trimStart().length + 1;
      w.line(
        { line: i + 1, col },
        `not a "type: command" line; ignored (process types are letters, digits, "_" and "-", at the start of the line)`,
      );
      continue;
    }
    const type = m[1]!;
    let command = m[2]!;
    const pos = { line: i + 1, col: 1 };
    // A trailing backslash continues the command on the next line, as in the shell.
    const first = i;
    while (/(^|[^\\])(\\\\)*\\$/.test(command) && i + 1 < lines.length) {
      i++;
      command = `${command.slice(0, -1)}${lines[i]!.replace(/^\s+/, ' ')}`;
    }
    if (i > first)
      w.line(
        pos,
        `the command of "${type}" continues over lines ${first + 1}-${i + 1} with trailing backslashes; joined into one command (foreman and Heroku read one line per process)`,
      );
    command = command.trim();
    if (command === '') {
      w.line({ line: pos.line, col: type.length + 2 }, `"${type}" has no command; skipped`);
      continue;
    }
    out.push({ type, command, pos });
  }
  return out;
}

/** A port the command sets itself: `-p 3000`, `--port=3000`, `PORT=3000 ...`. */
export function portInCommand(command: string): number | undefined {
  const m =
    /(?:^|\s)(?:-p|--port)(?:=|\s+)(\d{2,5})(?=\s|$)/.exec(command) ??
    /(?:^|\s)PORT=(\d{2,5})(?=\s|$)/.exec(command);
  const n = m ? Number(m[1]) : NaN;
  return n >= 1 && n <= 65535 ? n : undefined;
}

export function convertProcfile(source: string, file: string, ctx: ConvertContext): Conversion {
  const dir = path.dirname(file);
  const w = new WarningList(file);
  const procs = parseProcfile(source, w);
  if (procs.length === 0) {
    throw new VigilError('STACK_INVALID', `${file} has no process lines`, {
      location: { file, line: 1, col: 1 },
      hint: 'a Procfile has one "type: command" line per process, e.g. `web: npm start`',
    });
  }
  const dotenvFile = path.join(dir, '.env');
  const hasDotenv = ctx.fs.isFile(dotenvFile);
  const dotenv = hasDotenv ? readDotenv(ctx.fs, dotenvFile) : new Map<string, string>();

  const names = new NameRegistry();
  const seen = new Map<string, number>();
  const services: DraftService[] = [];
  let release: string | undefined;
  for (const p of procs) {
    const before = seen.get(p.type);
    if (before !== undefined) {
      w.line(p.pos, `"${p.type}" is defined again (first at line ${before}); this one is ignored`);
      continue;
    }
    seen.set(p.type, p.pos.line);
    const { name, changed } = names.take(p.type);
    if (changed) w.line(p.pos, changed, name);
    const svc: DraftService = {
      name,
      command: escapeInterpolation(p.command),
      cwd: dir,
      comment: [`${path.basename(file)}:${p.pos.line}: ${p.type}`],
    };
    if (p.type === 'web') {
      const explicit = portInCommand(p.command);
      const fromDotenv = Number(dotenv.get('PORT'));
      const port = explicit ?? (fromDotenv >= 1 && fromDotenv <= 65535 ? fromDotenv : FOREMAN_PORT);
      svc.port = port;
      if (explicit === undefined && !dotenv.has('PORT')) {
        svc.env = { PORT: String(port) };
        svc.keyComments = { port: `PORT, as foreman gives the first process type` };
      } else if (explicit === undefined) {
        svc.keyComments = { port: 'PORT from .env' };
      } else {
        svc.env = { PORT: String(port) };
        svc.keyComments = { port: 'from the command line' };
      }
    }
    if (p.type === 'release') {
      svc.oneshot = true;
      svc.comment = [
        ...svc.comment!,
        'Heroku runs the release command before the processes of a release start: the others wait for it.',
      ];
      release = name;
    }
    services.push(svc);
  }
  if (release !== undefined) {
    for (const s of services)
      if (s.name !== release) s.dependsOn = [{ name: release, condition: 'completed' }];
  }
  return {
    stack: {
      name: path.basename(dir),
      header: [
        `Imported from ${path.basename(file)} by \`vigil import\`.`,
        'Commands run through the shell, as foreman runs them; $VAR is expanded by the shell.',
      ],
      ...(hasDotenv ? { envFile: [dotenvFile] } : {}),
      services,
    },
    warnings: w.items,
  };
}
