import { describe, expect, it } from 'vitest';
import { CliError, helpText, parseCli } from '../src/index.js';
import { DEFAULT_STATE, decodeState, encodeState, type ViewState } from '../web/state.js';

describe('view state in the URL', () => {
  it('round-trips every field, and writes nothing for the defaults', () => {
    const state: ViewState = {
      ...DEFAULT_STATE,
      tab: 'media',
      selected: ['a', 'b-c'],
      x: 'wallTime',
      smoothing: 0.85,
      logY: true,
      groupBy: 'weighting',
      filter: 'seed!=2 dyn',
      tags: 'ua',
      columns: ['validation/emotion.ua'],
      sort: '-validation/emotion.ua:last',
      xRange: [10, 250.5],
      run: 'a',
      task: 'gender',
      split: 'test',
      epoch: 3,
      normalise: true,
      misclassified: true,
      clip: 'spk01_anger_01',
    };
    expect(decodeState(encodeState(state))).toEqual(state);
    expect(encodeState(DEFAULT_STATE)).toBe('');
  });

  it('ignores values it does not know', () => {
    expect(decodeState('tab=nope&x=time&smooth=2&xr=5,1')).toEqual(DEFAULT_STATE);
  });
});

describe('command line', () => {
  it('parses flags with defaults', () => {
    expect(parseCli(['--runs', 'runs'])).toEqual({
      runs: 'runs',
      experiments: undefined,
      port: 6006,
      host: '127.0.0.1',
      poll: 1000,
    });
    expect(parseCli(['--runs=r', '--port=0', '--host', '0.0.0.0'])).toMatchObject({ port: 0, host: '0.0.0.0' });
    expect(parseCli(['--help'])).toBe('help');
    expect(helpText()).toMatch(/--runs\s+the runs folder/);
  });

  it('names the flag and the problem', () => {
    expect(() => parseCli([])).toThrow(CliError);
    expect(() => parseCli([])).toThrow(/--runs is required/);
    expect(() => parseCli(['--runs', 'r', '--port', '99999'])).toThrow(
      /--port: must be a whole number from 0 to 65535, got "99999"/,
    );
    expect(() => parseCli(['--runs', 'r', '--bogus'])).toThrow(/unknown argument "--bogus"/);
    expect(() => parseCli(['--runs'])).toThrow(/--runs needs a value/);
  });
});
