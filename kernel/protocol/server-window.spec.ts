import { ServerWindow } from './server-window';

describe('ServerWindow', () => {
  test('holds 0.9 of what the server allows in a window, all of it at once', () => {
    const w = new ServerWindow(1000, 3);
    expect(w.capacity).toBe(2700);
    expect(w.available(0)).toBe(2700);
    w.spend(0, 2700);
    expect(w.available(0)).toBe(0);
    expect(w.msUntil(0, 1)).toBe(4000);
  });

  test('what was sent counts for the window and a second more, then comes back as it was spent', () => {
    const w = new ServerWindow(1000, 3);
    w.spend(0, 2000);
    w.spend(500, 700);
    // The bucket has refilled by now (half the limit a second); the window still holds both.
    expect(w.available(3999)).toBe(0);
    expect(w.available(4000)).toBe(2000);
    // The window has room for 2,500 at 4.5 s, the bucket at 5 s.
    expect(w.msUntil(4000, 2500)).toBe(1000);
    expect(w.available(4500)).toBe(2250);
    expect(w.available(5000)).toBe(2500);
  });

  test('a long run of sends gets half the limit a second, evenly, once the first burst is spent', () => {
    const w = new ServerWindow(1000, 3);
    w.spend(0, 2700);
    let sent = 0;
    // From 10 s to 20 s, one message whenever there is room, looked at each millisecond.
    for (let t = 10_000; t < 20_000; t++) {
      while (w.available(t) >= 1) {
        w.spend(t, 1);
        sent++;
      }
    }
    expect(sent).toBeGreaterThan(4900);
    expect(sent).toBeLessThan(5000 + 2700);
  });

  test('a wait for more than the window ever holds is as long as the window', () => {
    const w = new ServerWindow(1000, 3);
    w.spend(0, 100);
    expect(w.msUntil(0, 10_000)).toBeGreaterThanOrEqual(4000);
  });
});
