import { randomUUID } from 'node:crypto';
import type { OutputSink } from '../engine';
import type { Screen } from './screen';

/**
 * How often a screen's display is updated at most. Each update carries the
 * whole display, not what changed, so it is not as often as the stream
 * flushes (8 ms): 20 a second draw a bar smoothly (tqdm's own default is 10),
 * and a display already holding many lines is sent 4 times a second.
 */
const UPDATE_MS = 50;
const LARGE_UPDATE_MS = 250;
const LARGE_CHARS = 64 * 1024;
/** Lines scrolled off a screen that one display holds; past them it is final, and a new one starts below. */
const SEGMENT_LINES = 500;
/** The same, in characters. */
const SEGMENT_CHARS = 256 * 1024;

/**
 * Shows a command's screen as a `display_data` that `update_display_data`
 * replaces, as often as the stream flushes. The lines scrolled off the screen
 * stay in the display above its rows; once many have, that display is final
 * and the screen goes on in a new one, so an update never carries a long
 * run's whole output.
 */
export class ScreenDisplay {
  private id: string | null = null;
  private count = 0;
  private final: string[] = [];
  private finalChars = 0;
  private shownAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private readonly prefix = `warren-screen-${randomUUID()}`;

  constructor(private readonly sink: OutputSink) {}

  /** Shows the screen's changes: now, or when the interval since the last update is over. */
  update(screen: Screen, now = false): void {
    for (const line of screen.takeScrolled()) {
      this.final.push(line);
      this.finalChars += line.length + 1;
    }
    if (this.final.length > SEGMENT_LINES || this.finalChars > SEGMENT_CHARS) {
      this.publish(this.final.join('\n'));
      this.id = null;
      this.final = [];
      this.finalChars = 0;
      now = true;
    }
    if (!screen.dirty) return;
    const interval = this.finalChars > LARGE_CHARS ? LARGE_UPDATE_MS : UPDATE_MS;
    const wait = this.shownAt + interval - performance.now();
    if (!now && wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.update(screen, true);
      }, wait);
      return;
    }
    this.stopTimer();
    screen.clean();
    this.shownAt = performance.now();
    this.publish(this.text(screen));
  }

  /** Shows the screen as it is, and makes that display final: what follows goes below it. */
  freeze(screen: Screen): void {
    this.stopTimer();
    for (const line of screen.takeScrolled()) this.final.push(line);
    screen.clean();
    this.publish(this.text(screen));
    this.id = null;
    this.final = [];
    this.finalChars = 0;
  }

  /** The command ended: the screen's last state is what the display keeps. */
  end(screen: Screen): void {
    this.update(screen, true);
    this.stopTimer();
  }

  private text(screen: Screen): string {
    const live = screen.render();
    if (this.final.length === 0) return live;
    return this.final.join('\n') + (live ? '\n' + live : '');
  }

  private publish(text: string): void {
    if (!text) return;
    const data = { 'text/plain': text };
    if (this.id === null) {
      this.id = `${this.prefix}-${this.count++}`;
      this.sink.display(data, { displayId: this.id });
    } else this.sink.display(data, { displayId: this.id, update: true });
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
