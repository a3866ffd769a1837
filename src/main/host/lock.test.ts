import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir } from './data-dir.js';
import { describeInstance } from './lock.js';

describe('defaultDataDir', () => {
  it('prefers VIGIL_DATA_DIR', () => {
    expect(
      defaultDataDir({ VIGIL_DATA_DIR: '/data/v', XDG_DATA_HOME: '/x' }, 'linux', '/home/u'),
    ).toBe('/data/v');
  });

  it('follows XDG on Linux, else ~/.local/share/vigil', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/u')).toBe('/xdg/vigil');
    expect(defaultDataDir({ XDG_DATA_HOME: 'relative' }, 'linux', '/home/u')).toBe(
      '/home/u/.local/share/vigil',
    );
    expect(defaultDataDir({}, 'linux', '/home/u')).toBe('/home/u/.local/share/vigil');
    expect(defaultDataDir({}, 'freebsd', '/home/u')).toBe('/home/u/.local/share/vigil');
  });

  it('uses Application Support on macOS and APPDATA on Windows', () => {
    expect(defaultDataDir({}, 'darwin', '/Users/u')).toBe(
      '/Users/u/Library/Application Support/Vigil',
    );
    expect(
      defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u'),
    ).toBe('C:\\Users\\u\\AppData\\Roaming\\Vigil');
    expect(defaultDataDir({}, 'win32', 'C:\\Users\\u')).toBe(
      'C:\\Users\\u\\AppData\\Roaming\\Vigil',
    );
  });

  it('takes the home directory from the environment by default', () => {
    expect(defaultDataDir({ HOME: '/home/someone' }, 'linux')).toBe(
      '/home/someone/.local/share/vigil',
    );
  });
});

describe('describeInstance', () => {
  it('names the pid, the stack file (relative when below the current directory), the start and the API', () => {
    const started = new Date();
    started.setHours(10, 2, 0, 0);
    const text = describeInstance({
      pid: 1234,
      startTime: null,
      startedAt: started.getTime(),
      stackFile: path.join(process.cwd(), 'shop', 'vigil.yaml'),
      api: { url: 'http://127.0.0.1:9000' },
    });
    expect(text).toBe(
      `pid 1234 (vigil up -f ${path.join('shop', 'vigil.yaml')}), started 10:02, API http://127.0.0.1:9000`,
    );
  });

  it('gives the date for an instance started on another day and leaves out what it does not know', () => {
    const text = describeInstance({
      pid: 7,
      startTime: null,
      startedAt: new Date(2020, 4, 6, 8, 9).getTime(),
      stackFile: '',
    });
    expect(text).toBe('pid 7, started 2020-05-06 08:09');
  });
});
