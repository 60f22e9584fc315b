import type { LiveMark, LiveRead } from './job';

/** What a reader of a live log is sent: text to add to what it holds, or, with `reset`, to hold instead. */
export interface LiveChunk {
  text: string;
  reset: boolean;
}

/**
 * A run's live text as the Runs panel shows it: the executed notebook's
 * outputs once it has any, else the job's log, at most `max` characters.
 * Each `next()` reads what is new on the run's host (`readLive`) and returns
 * only that: text that continues what was sent, or a reset when the text
 * does not continue it (the first read, the notebook taking over from the
 * log, a notebook whose outputs were cleared, a piece larger than `max`).
 */
export class LiveText {
  private mark: LiveMark = { notebook: '', logBytes: -1 };
  private source: 'notebook' | 'log' | null = null;
  /** Every output of the notebook as text, last read. */
  private notebook = '';
  /** The log's last `max` characters read. */
  private log = '';
  private started = false;

  constructor(
    private readonly read: (since: LiveMark) => Promise<LiveRead>,
    private readonly max = LiveText.max
  ) {}

  /** What a reader that has had every chunk holds now. */
  get text(): string {
    return (this.source === 'notebook' ? this.notebook : this.log).slice(-this.max);
  }

  /** Reads again; null when nothing changed. */
  async next(): Promise<LiveChunk | null> {
    const r = await this.read(this.mark);
    this.mark = r.mark;
    const before = this.source === 'notebook' ? this.notebook : null;
    if (r.notebook !== null) this.notebook = r.notebook;
    this.log = (r.logReset ? r.log : this.log + r.log).slice(-this.max);
    const source = this.notebook ? 'notebook' : 'log';
    const first = !this.started || source !== this.source;
    this.started = true;
    this.source = source;
    if (first) return { text: this.text, reset: true };
    if (source === 'log') {
      if (r.logReset) return { text: this.text, reset: true };
      return r.log ? this.piece(r.log) : null;
    }
    if (r.notebook === null || r.notebook === before) return null;
    return before !== null && r.notebook.startsWith(before)
      ? this.piece(r.notebook.slice(before.length))
      : { text: this.text, reset: true };
  }

  /** New text as a continuation, or as a reset when it alone is past the bound. */
  private piece(added: string): LiveChunk {
    return added.length > this.max
      ? { text: this.text, reset: true }
      : { text: added, reset: false };
  }
}

export namespace LiveText {
  /** Characters a reader holds at most, as `notebookTail` keeps. */
  export const max = 4000;
}
