import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { displayPath, formatIssue } from './format.js';
import type { ConfigIssue } from './types.js';

const issue: ConfigIssue = {
  code: 'STACK_UNKNOWN_DEPENDENCY',
  severity: 'error',
  message: 'service "api" depends on "cach", which is not defined in this stack',
  file: path.join(path.sep, 'home', 'dev', 'shop', 'vigil.yaml'),
  line: 3,
  col: 7,
  path: 'services.api.depends_on.cach',
  hint: 'did you mean "cache"?',
};
const cwd = path.join(path.sep, 'home', 'dev', 'shop');
const source = 'services:\n  api:\n      cach: healthy\n';

describe('formatIssue', () => {
  it('prints location, severity, code, path and message on one line, then the hint', () => {
    expect(formatIssue(issue, { cwd })).toBe(
      'vigil.yaml:3:7: error STACK_UNKNOWN_DEPENDENCY at services.api.depends_on.cach: ' +
        'service "api" depends on "cach", which is not defined in this stack\n' +
        '  hint: did you mean "cache"?',
    );
  });

  it('shows the source line with a caret under the column', () => {
    const lines = formatIssue(issue, { cwd, source }).split('\n');
    expect(lines[1]).toBe('   3 |       cach: healthy');
    expect(lines[2]).toBe('     |       ^');
    expect(lines[2]!.indexOf('^') - lines[2]!.indexOf('|')).toBe(
      lines[1]!.indexOf('cach') - lines[1]!.indexOf('|'),
    );
  });

  it('keeps tabs in front of the caret so it lines up', () => {
    const out = formatIssue({ ...issue, line: 1, col: 3 }, { cwd, source: '\t\tx: 1\n' });
    expect(out.split('\n')[2]).toBe('     | \t\t^');
  });

  it('leaves out the path for whole-file issues and the excerpt past the end of the source', () => {
    const out = formatIssue({ ...issue, path: '', line: 40, hint: undefined }, { cwd, source });
    expect(out).toBe(`vigil.yaml:40:7: error STACK_UNKNOWN_DEPENDENCY: ${issue.message}`);
  });

  it('colours only when asked', () => {
    expect(formatIssue(issue, { cwd })).not.toContain('\u001b[');
    expect(formatIssue(issue, { cwd, color: true, source })).toContain('\u001b[31m');
    expect(formatIssue({ ...issue, severity: 'warning' }, { cwd, color: true })).toContain(
      '\u001b[33m',
    );
  });
});

it('shows no line and column for a file that does not exist', () => {
  const out = formatIssue(
    { ...issue, code: 'STACK_NOT_FOUND', path: '', hint: undefined },
    { cwd, source },
  );
  expect(out).toBe(`vigil.yaml: error STACK_NOT_FOUND: ${issue.message}`);
});

describe('displayPath', () => {
  it('shows the path relative to cwd when that is shorter', () => {
    expect(displayPath(issue.file, cwd)).toBe('vigil.yaml');
    expect(displayPath(issue.file, path.join(cwd, 'sub'))).toBe(path.join('..', 'vigil.yaml'));
    expect(displayPath(issue.file, path.join(path.sep, 'opt', 'a', 'b', 'c', 'd', 'e'))).toBe(
      issue.file,
    );
  });
});
