import { JournalSlabs } from './journal-slabs';

describe('JournalSlabs', () => {
  test('writes text as UTF-8 one stretch after another in one slab', () => {
    const slabs = new JournalSlabs(1024);
    const a = slabs.put('héllo');
    const b = slabs.put('wörld ✓');
    expect(a.bytes.toString('utf8')).toBe('héllo');
    expect(b.bytes.toString('utf8')).toBe('wörld ✓');
    expect(a.slab).toBe(b.slab);
    expect(b.bytes.byteOffset - a.bytes.byteOffset).toBe(Buffer.byteLength('héllo'));
  });

  test('writes over a slab only once nothing in it is kept', () => {
    const slabs = new JournalSlabs(1024, 1);
    const first = slabs.put('a'.repeat(200));
    const kept = slabs.put('b'.repeat(200));
    slabs.release(first);
    // One stretch still kept: the next goes after it, not over the released one.
    const next = slabs.put('c'.repeat(200));
    expect(kept.bytes.toString()).toBe('b'.repeat(200));
    expect(next.bytes.byteOffset).toBeGreaterThan(kept.bytes.byteOffset);
    slabs.release(kept);
    slabs.release(next);
    const again = slabs.put('d'.repeat(200));
    expect(again.slab).toBe(first.slab);
    expect(again.bytes.byteOffset).toBe(first.bytes.byteOffset);
  });

  test('a full slab is left for a spare or a new one, and comes back once emptied', () => {
    const slabs = new JournalSlabs(1024, 1);
    const texts = ['1', '2', '3', '4', '5', '6'].map((c) => c.repeat(250));
    const stored = texts.map((t) => slabs.put(t));
    // Four of 250 bytes fill 1,024: the fifth starts a second slab.
    expect(stored[4].slab).not.toBe(stored[0].slab);
    stored.forEach((s, i) => expect(s.bytes.toString()).toBe(texts[i]));
    stored.slice(0, 4).forEach((s) => slabs.release(s));
    expect(slabs.slabs).toBe(2);
    // The second fills up; the third comes from the spare, the first slab.
    stored.push(slabs.put('7'.repeat(250)), slabs.put('8'.repeat(250)), slabs.put('9'.repeat(250)));
    expect(stored[8].slab).toBe(stored[0].slab);
    expect(stored[5].bytes.toString()).toBe('6'.repeat(250));
  });

  test('content larger than a quarter of a slab gets memory of its own', () => {
    const slabs = new JournalSlabs(1024);
    const big = slabs.put('x'.repeat(300));
    expect(big.slab).toBeNull();
    expect(big.bytes.toString()).toBe('x'.repeat(300));
    expect(slabs.slabs).toBe(0);
  });

  test('shrink lets go of the slabs nothing is kept in', () => {
    const slabs = new JournalSlabs(1024, 2);
    const a = slabs.put('a'.repeat(250));
    slabs.put('b'.repeat(250));
    slabs.release(a);
    slabs.shrink();
    // The current slab still holds 'b': it stays.
    expect(slabs.slabs).toBe(1);
  });
});
