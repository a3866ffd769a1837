import { describe, expect, it } from 'vitest';
import { closest, editDistance, suggestion } from './suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps', () => {
    expect(editDistance('cache', 'cache')).toBe(0);
    expect(editDistance('cach', 'cache')).toBe(1);
    expect(editDistance('cachee', 'cache')).toBe(1);
    expect(editDistance('cashe', 'cache')).toBe(1);
    expect(editDistance('SIGTREM', 'SIGTERM')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('stops early past the bound', () => {
    expect(editDistance('a', 'abcdefgh', 2)).toBe(3);
    expect(editDistance('abcdef', 'uvwxyz', 2)).toBe(3);
  });
});

describe('closest / suggestion', () => {
  it('suggests a plausible typo fix, preferring the earlier candidate on ties', () => {
    expect(closest('helth', ['health', 'help'])).toBe('health');
    expect(closest('API', ['web', 'api'])).toBe('api');
    expect(closest('ab', ['ac', 'ad'])).toBe('ac');
  });

  it('suggests nothing for names that are not close', () => {
    expect(closest('postgres', ['cache', 'api'])).toBeUndefined();
    expect(suggestion('postgres', ['cache', 'api'], 'defined services')).toBe(
      'defined services: cache, api',
    );
    expect(suggestion('cach', ['cache', 'api'], 'defined services')).toBe('did you mean "cache"?');
  });
});
