import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { ansiRuns, stripAnsi } from './ansi.js';
import { LogRow, LogText, instanceFilterFor, instanceHue } from './LogView.js';

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

describe('the merged logs of a replicated service', () => {
  const at = Date.UTC(2026, 0, 1, 10, 0, 0);

  it('prefixes each line with its instance', () => {
    const html = renderToStaticMarkup(
      <LogRow
        entry={{ seq: 3, ts: at, stream: 'stdout', line: 'GET /orders 200', instance: 'api#1' }}
        index={0}
        start={0}
      />,
    );
    expect(html).toMatch(
      /class="vg-log-instance"[^>]*>\[(?:<!-- -->)?api#1(?:<!-- -->)?\]<\/span>/,
    );
    expect(html.indexOf('api#1')).toBeLessThan(html.indexOf('GET /orders 200'));
  });

  it('a plain service has no prefix', () => {
    const html = renderToStaticMarkup(
      <LogRow entry={{ seq: 3, ts: at, stream: 'stdout', line: 'ready' }} index={0} start={0} />,
    );
    expect(html).not.toContain('vg-log-instance');
  });

  it("keeps the instance filter only on that instance's service", () => {
    expect(instanceFilterFor('api', 'api#2')).toBe('api#2');
    expect(instanceFilterFor('api', null)).toBeNull();
    expect(instanceFilterFor('web', 'api#2')).toBeNull();
    // a name that starts like another service's does not match it
    expect(instanceFilterFor('api', 'api-stub#0')).toBeNull();
  });

  it('gives instances hues away from the status colours, and neighbours different ones', () => {
    const hues = Array.from({ length: 20 }, (_, i) => instanceHue(`api#${i}`));
    for (const h of hues) {
      expect(h).toBeGreaterThanOrEqual(185);
      expect(h).toBeLessThan(305);
    }
    for (let i = 1; i < hues.length; i++) expect(hues[i]).not.toBe(hues[i - 1]);
  });
});
