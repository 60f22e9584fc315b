import { MountsModel } from './model';

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
