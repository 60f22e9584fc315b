import type { JSONObject } from '../../src/contract';
import type { RunsMessage } from '../../src/contract/runs';
import type { LiveChunk } from '../services/cluster/live';
import type { Comm } from './comm';

/** One run's live text: what a reader that had every chunk holds, and what is new. */
export interface LiveSource {
  readonly text: string;
  next(): Promise<LiveChunk | null>;
}

/**
 * The live logs the Runs panels follow, for the runs comm target (runs.ts).
 * Each comm follows one run at most; each followed run has one reader,
 * however many comms follow it, that reads what is new every `everyMs` and
 * pushes it to them as `log` messages. A comm that starts following a run
 * already read gets the text so far at once. A run is read a last time once
 * it has ended, then let go, as is a run that no comm follows any more.
 */
export class LiveLogs {
  /** Comm id -> the run it follows. */
  private readonly follows = new Map<string, string>();
  private readonly readers = new Map<string, Private.Reader>();

  constructor(private readonly options: LiveLogs.IOptions) {}

  /** `comm` follows run `id` from now on (null: none). Throws for a run that is not known. */
  follow(comm: Comm, id: string | null): void {
    const before = this.follows.get(comm.id);
    if (before !== undefined && before !== id) this.leave(comm, before);
    if (id === null) {
      this.follows.delete(comm.id);
      return;
    }
    let reader = this.readers.get(id);
    if (!reader) {
      reader = { id, source: this.options.open(id), comms: new Map(), timer: null, read: false };
      this.readers.set(id, reader);
      void this.tick(reader);
    } else if (reader.read) {
      Private.send(comm, { type: 'log', id, text: reader.source.text, reset: true });
    }
    reader.comms.set(comm.id, comm);
    this.follows.set(comm.id, id);
  }

  /** A closed comm follows nothing. */
  drop(comm: Comm): void {
    const id = this.follows.get(comm.id);
    if (id !== undefined) this.leave(comm, id);
    this.follows.delete(comm.id);
  }

  dispose(): void {
    for (const reader of this.readers.values()) this.stop(reader);
    this.follows.clear();
  }

  private leave(comm: Comm, id: string): void {
    const reader = this.readers.get(id);
    if (!reader) return;
    reader.comms.delete(comm.id);
    if (reader.comms.size === 0) this.stop(reader);
  }

  private stop(reader: Private.Reader): void {
    if (reader.timer) clearTimeout(reader.timer);
    reader.timer = null;
    if (this.readers.get(reader.id) === reader) this.readers.delete(reader.id);
  }

  private async tick(reader: Private.Reader): Promise<void> {
    reader.timer = null;
    // Looked at before the read, so the read after the end is the last one and has it all.
    let ended: boolean;
    try {
      ended = this.options.ended(reader.id);
    } catch {
      ended = true; // forgotten
    }
    let chunk: LiveChunk | null = null;
    let ok = true;
    try {
      chunk = await reader.source.next();
    } catch {
      ok = false; // the host did not answer: the next read tries again
    }
    if (this.readers.get(reader.id) !== reader) return;
    if (ok && !reader.read) {
      reader.read = true;
      chunk ??= { text: reader.source.text, reset: true };
    }
    if (chunk)
      for (const comm of reader.comms.values())
        Private.send(comm, { type: 'log', id: reader.id, ...chunk });
    if (ended && ok) this.stop(reader);
    else reader.timer = setTimeout(() => void this.tick(reader), this.options.everyMs);
  }
}

export namespace LiveLogs {
  export interface IOptions {
    /** The live text of run `id`; throws for a run that is not known. */
    open(id: string): LiveSource;
    /** Whether run `id` has ended (throws once it is forgotten). */
    ended(id: string): boolean;
    everyMs: number;
  }
}

namespace Private {
  export interface Reader {
    id: string;
    source: LiveSource;
    comms: Map<string, Comm>;
    timer: NodeJS.Timeout | null;
    /** Whether a read has succeeded: from then on a new follower gets the text so far. */
    read: boolean;
  }

  export function send(comm: Comm, message: RunsMessage): void {
    comm.send(message as unknown as JSONObject);
  }
}
