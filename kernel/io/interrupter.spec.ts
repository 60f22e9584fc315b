import { Interrupter } from './interrupter';

describe('Interrupter', () => {
  let kill: jest.SpyInstance;
  beforeEach(() => {
    kill = jest.spyOn(process, 'kill').mockImplementation(() => true);
  });
  afterEach(() => kill.mockRestore());

  test('an interrupt that main answers in its event loop raises no signal', async () => {
    const asked: boolean[] = [];
    const interrupter = new Interrupter({
      ping: async (_ms, interrupt) => {
        asked.push(interrupt);
        return true;
      },
      log: () => {}
    });
    await interrupter.interrupt();
    // A signal raised at a main that already ran the handler would be handled
    // later, and end whichever cell runs then.
    expect(asked).toEqual([true]);
    expect(kill).not.toHaveBeenCalled();
  });

  test('a main that does not answer gets SIGINT, then is asked whether its loop runs', async () => {
    const asked: boolean[] = [];
    const interrupter = new Interrupter({
      ping: async (_ms, interrupt) => {
        asked.push(interrupt);
        return asked.length > 1;
      },
      log: () => {}
    });
    await interrupter.interrupt();
    expect(asked).toEqual([true, false]);
    expect(kill.mock.calls).toEqual([[process.pid, 'SIGINT']]);
  });
});
