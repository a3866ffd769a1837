import { describe, expect, it } from 'vitest';
import { interpolate } from './interpolate.js';

const env: Record<string, string> = { HOST: 'db.local', PORT: '5433', EMPTY: '' };
const lookup = (n: string) => env[n];
const value = (s: string) => {
  const r = interpolate(s, lookup);
  expect(r.error).toBeUndefined();
  return r.value;
};

describe('interpolate', () => {
  it('replaces ${VAR} and keeps the rest', () => {
    expect(value('postgres://${HOST}:${PORT}/app')).toBe('postgres://db.local:5433/app');
  });

  it('applies defaults: :- for unset or empty, - only for unset', () => {
    expect(value('${NOPE:-fallback}')).toBe('fallback');
    expect(value('${EMPTY:-fallback}')).toBe('fallback');
    expect(value('${EMPTY-fallback}')).toBe('');
    expect(value('${NOPE-fallback}')).toBe('fallback');
    expect(value('${HOST:-fallback}')).toBe('db.local');
  });

  it('expands nested defaults', () => {
    expect(value('${NOPE:-${HOST}:${PORT}}')).toBe('db.local:5433');
    expect(value('${NOPE:-${ALSO_NOPE:-x}}')).toBe('x');
  });

  it('applies :+ and + alternatives', () => {
    expect(value('${HOST:+set}')).toBe('set');
    expect(value('${EMPTY:+set}')).toBe('');
    expect(value('${EMPTY+set}')).toBe('set');
    expect(value('${NOPE+set}')).toBe('');
  });

  it('turns $$ into $ and leaves bare $NAME, $(...) and lone $ alone', () => {
    expect(value('price $$5, $$${PORT}')).toBe('price $5, $5433');
    expect(value('echo $HOME $(date) 100$ %PATH%')).toBe('echo $HOME $(date) 100$ %PATH%');
  });

  it('reports unset variables with their offset, as ""', () => {
    const r = interpolate('a ${NOPE} b ${ALSO}', lookup);
    expect(r.value).toBe('a  b ');
    expect(r.unset).toEqual([
      { name: 'NOPE', offset: 2 },
      { name: 'ALSO', offset: 12 },
    ]);
  });

  it('does not report a variable that has a default', () => {
    expect(interpolate('${NOPE:-x}', lookup).unset).toEqual([]);
  });

  it('fails on ${VAR:?message} / ${VAR?message} when the variable is missing', () => {
    expect(interpolate('${NOPE:?set NOPE}', lookup).error).toEqual({
      message: 'NOPE is not set: set NOPE',
      offset: 0,
    });
    expect(interpolate('x ${EMPTY:?}', lookup).error).toEqual({
      message: 'EMPTY is empty: variable EMPTY is required',
      offset: 2,
    });
    expect(interpolate('${EMPTY?required}', lookup).error).toBeUndefined();
    expect(interpolate('${HOST:?required}', lookup).value).toBe('db.local');
  });

  it('fails on unterminated and malformed references', () => {
    expect(interpolate('abc ${HOST', lookup).error?.offset).toBe(4);
    expect(interpolate('${1BAD}', lookup).error?.message).toMatch(/invalid interpolation/);
    expect(interpolate('${}', lookup).error?.message).toMatch(/invalid interpolation/);
    expect(interpolate('${HOST|x}', lookup).error?.message).toMatch(
      /invalid interpolation "\$\{HOST\|x\}"/,
    );
  });
});
