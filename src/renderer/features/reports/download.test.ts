import { describe, expect, it } from 'vitest';
import { exportFormats, reportSince, safeFilename } from './download.js';

describe('report download', () => {
  it('keeps file names plain, without directories, with the right extension', () => {
    expect(safeFilename('vigil-report-2026-01-01.md', 'md')).toBe('vigil-report-2026-01-01.md');
    expect(safeFilename('../../etc/passwd', 'csv')).toBe('passwd.csv');
    expect(safeFilename('..\\win\\evil name.html', 'html')).toBe('evil_name.html');
    expect(safeFilename('', 'json')).toBe('vigil-report.json');
    expect(safeFilename('...hidden', 'md')).toBe('hidden.md');
  });

  it('asks for a range back from now, or from the start of the stack', () => {
    expect(reportSince('24h')).toBe('24h');
    expect(reportSince('start')).toBeUndefined();
  });

  it('offers PDF only in the desktop app', () => {
    expect(exportFormats(false).map((f) => f.value)).toEqual(['md', 'html', 'json', 'csv']);
    expect(exportFormats(true).map((f) => f.value)).toEqual(['md', 'html', 'json', 'csv', 'pdf']);
  });
});
