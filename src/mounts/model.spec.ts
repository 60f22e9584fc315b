import { MountsModel, plural, toolboxFromForm } from './model';

test('the panel model keeps what a volume brought apart from the toolboxes in effect', () => {
  const model = new MountsModel();
  const good = { name: 'mrtools', root: '/v/mrtools', bin: ['bin'], env: { A: '1' }, volume: '/v' };
  expect(
    model.ingest({
      type: 'state',
      time: 1,
      mounts: [],
      toolboxes: [],
      pending: [good, { name: 'no-volume', root: '/v/x', bin: [], env: {} }, 'junk']
    })
  ).toBe(true);
  expect(model.toolboxes).toEqual([]);
  expect(model.pendingToolboxes).toEqual([good]);
  // A kernel from before pending toolboxes existed sends none.
  model.ingest({ type: 'state', time: 2, mounts: [], toolboxes: [] });
  expect(model.pendingToolboxes).toEqual([]);
});

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
