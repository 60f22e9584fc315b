import { MountsModel, plural, toolboxFromForm } from './model';

describe('Mounts panel model', () => {
  it('builds a toolbox from the form, bin by default', () => {
    expect(toolboxFromForm({ name: ' fsl ', root: '/opt/fsl ', bin: '' })).toEqual({
      name: 'fsl',
      root: '/opt/fsl',
      bin: ['bin'],
      env: {}
    });
    expect(toolboxFromForm({ name: 'a', root: '/a', bin: 'bin, share/bin' }).bin).toEqual([
      'bin',
      'share/bin'
    ]);
  });

  it('says one command and many commands', () => {
    expect(plural(0, 'command')).toBe('0 commands');
    expect(plural(1, 'command')).toBe('1 command');
    expect(plural(2, 'command')).toBe('2 commands');
  });

  it('keeps the answer to a request until the next', () => {
    const m = new MountsModel();
    const id = m.request();
    expect(m.pending).toBe(true);
    m.ingest({ type: 'result', request: id, ok: true, message: 'toolbox fsl: 1 command' });
    expect(m.pending).toBe(false);
    expect(m.lastResult).toEqual({ ok: true, message: 'toolbox fsl: 1 command' });
  });
});
