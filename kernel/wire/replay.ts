/**
 * Signatures of the messages received, so that a captured signed message sent
 * again is not acted on twice (jupyter_client's Session keeps the same
 * history and refuses a duplicate). A message's signature covers its header,
 * whose msg_id is unique, so two genuine messages never share one. The
 * history is bounded: past `capacity`, the oldest tenth is forgotten.
 */
export class ReplayGuard {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 65536) {}

  /** Records `signature`; false when it was seen before (a replay). An empty one (unsigned) is never recorded. */
  admit(signature: Buffer): boolean {
    if (signature.length === 0) return true;
    const key = signature.toString('latin1');
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > this.capacity) {
      let drop = Math.ceil(this.capacity / 10);
      for (const old of this.seen) {
        if (drop-- <= 0) break;
        this.seen.delete(old);
      }
    }
    return true;
  }
}
