import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { ansiRuns, stripAnsi } from './ansi.js';
import { LogRow, LogText } from './LogView.js';

describe('ansiRuns', () => {
  it('returns one plain run for a line without escape codes', () => {
    expect(ansiRuns('hello')).toEqual([
      {
        text: 'hello',
        fg: null,
        bg: null,
        bold: false,
        dim: false,
        italic: false,
        underline: false,
      },
    ]);
  });

  it('splits coloured text into styled runs', () => {
    const runs = ansiRuns('ok \u001b[1;31mFAIL\u001b[0m done');
    expect(runs.map((r) => r.text)).toEqual(['ok ', 'FAIL', ' done']);
    expect(runs[1]!.fg).toMatch(/^rgb\(/);
    expect(runs[1]!.bold).toBe(true);
    expect(runs[0]!.fg).toBeNull();
  });

  it('strips codes for search and copy', () => {
    expect(stripAnsi('\u001b[32mgreen\u001b[0m')).toBe('green');
  });
});

describe('log lines render as text, never as HTML', () => {
  it('escapes markup in a plain line', () => {
    const html = renderToStaticMarkup(
      <LogText line={'<img src=x onerror=alert(1)><script>alert(2)</script>'} />,
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('escapes markup inside coloured runs', () => {
    const html = renderToStaticMarkup(
      <LogText line={'\u001b[31m<b onmouseover=x>hi</b>\u001b[0m'} />,
    );
    expect(html).not.toContain('<b ');
    expect(html).toContain('&lt;b onmouseover=x&gt;');
    expect(html).toMatch(/style="color:rgb\(/);
  });

  it('marks stderr rows and shows the time', () => {
    const html = renderToStaticMarkup(
      <LogRow
        entry={{ seq: 7, ts: Date.UTC(2026, 0, 1, 10, 0, 0), stream: 'stderr', line: 'boom' }}
        index={0}
        start={0}
      />,
    );
    expect(html).toContain('is-stderr');
    expect(html).toContain('data-seq="7"');
    expect(html).toContain('boom');
  });
});
