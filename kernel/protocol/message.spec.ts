import { isoDate, MessageFactory } from './message';

test('an instant is written as toISOString writes it, from 1970 to 9999, leap days and month ends included', () => {
  const instants = [
    0,
    Date.UTC(2000, 1, 29, 23, 59, 59, 999),
    Date.UTC(2000, 2, 1),
    Date.UTC(2100, 1, 28, 12),
    Date.UTC(2100, 2, 1, 0, 0, 0, 1),
    Date.UTC(2026, 11, 31, 23, 59, 59, 999),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999)
  ];
  // And 5,000 others spread over the whole range, each at a random time of day.
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const end = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  for (let i = 0; i < 5_000; i++) instants.push(Math.floor(random() * end));
  for (const ms of instants) expect(isoDate(ms)).toBe(new Date(ms).toISOString());
});

test("a message's header is dated now without a Date's toISOString, which reads the time zone through ICU", () => {
  const toISOString = jest.spyOn(Date.prototype, 'toISOString');
  try {
    const before = Date.now();
    const { date } = new MessageFactory('s').header('status');
    const after = Date.now();
    expect(toISOString).not.toHaveBeenCalled();
    expect(date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const at = Date.parse(date);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
  } finally {
    toISOString.mockRestore();
  }
});
