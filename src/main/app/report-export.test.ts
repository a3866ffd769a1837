import { describe, expect, it, vi } from 'vitest';
import type { ReportResponse } from '../../shared/views.js';
import { saveReport, type ReportSaver, type SaveDialogRequest } from './report-export.js';

function saver(choice: string | null, overrides: Partial<ReportSaver> = {}) {
  const written: { file: string; data: string | Uint8Array }[] = [];
  const getReport = vi.fn(
    async (input: { format?: string; since?: string | number }): Promise<ReportResponse> => ({
      format: (input.format ?? 'md') as ReportResponse['format'],
      content_type: 'text/plain',
      filename: 'x',
      body: `<report format=${input.format}>`,
    }),
  );
  const chooseFile = vi.fn(async (_req: SaveDialogRequest) => choice);
  const printToPdf = vi.fn(async (html: string) => new TextEncoder().encode(`%PDF ${html}`));
  const deps: ReportSaver = {
    client: { getReport } as unknown as ReportSaver['client'],
    stackName: 'shop',
    documentsDir: '/home/me/Documents',
    chooseFile,
    printToPdf,
    writeFile: (file, data) => void written.push({ file, data }),
    now: () => new Date(Date.UTC(2026, 2, 4)),
    ...overrides,
  };
  return { deps, written, getReport, chooseFile, printToPdf };
}

describe('saveReport', () => {
  it('asks where first, named after the stack and the day; cancelled, it builds nothing', async () => {
    const s = saver(null);
    await expect(saveReport(s.deps, { format: 'md' })).resolves.toEqual({ saved: false });
    expect(s.chooseFile).toHaveBeenCalledWith({
      title: 'Export healing report',
      defaultPath: '/home/me/Documents/shop-report-2026-03-04.md',
      filters: [{ name: 'Markdown', extensions: ['md'] }],
    });
    expect(s.getReport).not.toHaveBeenCalled();
    expect(s.written).toEqual([]);
  });

  it('writes the report in the chosen format, for the chosen range', async () => {
    const s = saver('/tmp/out.csv');
    await expect(saveReport(s.deps, { format: 'csv', since: '7d' })).resolves.toEqual({
      saved: true,
      file: '/tmp/out.csv',
    });
    expect(s.getReport).toHaveBeenCalledWith({ format: 'csv', since: '7d' });
    expect(s.written).toEqual([{ file: '/tmp/out.csv', data: '<report format=csv>' }]);
    expect(s.printToPdf).not.toHaveBeenCalled();
  });

  it('PDF: the HTML report, printed, written as bytes', async () => {
    const s = saver('/tmp/out.pdf');
    await saveReport(s.deps, { format: 'pdf' });
    expect(s.getReport).toHaveBeenCalledWith({ format: 'html' });
    expect(s.printToPdf).toHaveBeenCalledWith('<report format=html>');
    expect(s.chooseFile.mock.calls[0]![0]).toMatchObject({
      filters: [{ name: 'PDF', extensions: ['pdf'] }],
    });
    const data = s.written[0]!.data;
    expect(data).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(data as Uint8Array)).toBe('%PDF <report format=html>');
  });

  it('a file that cannot be written says which and what to do', async () => {
    const s = saver('/root/out.md', {
      writeFile: () => {
        throw new Error('EACCES: permission denied');
      },
    });
    await expect(saveReport(s.deps, { format: 'md' })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'cannot write /root/out.md: EACCES: permission denied',
      hint: 'choose a folder you can write to',
    });
  });
});
