import { TERMINAL_COLUMNS } from '../contract/terminal';

/**
 * How many characters of the output's monospace font fit `widthPx`, within
 * what a kernel takes; null where nothing was measured (a hidden panel has no
 * width). One column is left spare: a line that fills the output exactly
 * would wrap where the browser rounds the other way.
 */
export function columnsFor(widthPx: number, charPx: number): number | null {
  if (!(widthPx > 0) || !(charPx > 0)) return null;
  const columns = Math.floor(widthPx / charPx) - 1;
  return Math.max(TERMINAL_COLUMNS.min, Math.min(TERMINAL_COLUMNS.max, columns));
}

/** Characters measured per probe: enough that the width of one is exact to a hundredth of a pixel. */
const PROBE_CHARS = 100;

/**
 * The columns a notebook's text output has: the width of its cells' code
 * area (an output lines up with its cell's input, both after a prompt of the
 * same width), less its padding, over the width of a character as JupyterLab
 * draws text output (`.jp-RenderedText pre`). Null before the notebook has a
 * code cell shown.
 */
export function measureColumns(notebook: HTMLElement): number | null {
  const area = notebook.querySelector<HTMLElement>('.jp-CodeCell .jp-InputArea-editor');
  if (!area) return null;
  const style = getComputedStyle(area);
  const widthPx =
    area.clientWidth - parseFloat(style.paddingLeft || '0') - parseFloat(style.paddingRight || '0');
  const probe = document.createElement('div');
  probe.className = 'jp-RenderedText';
  probe.style.cssText = 'position:absolute;visibility:hidden;left:-10000px;top:0';
  const pre = document.createElement('pre');
  pre.style.cssText = 'display:inline-block;white-space:pre;margin:0;padding:0';
  pre.textContent = 'x'.repeat(PROBE_CHARS);
  probe.appendChild(pre);
  notebook.appendChild(probe);
  const charPx = pre.getBoundingClientRect().width / PROBE_CHARS;
  probe.remove();
  return columnsFor(widthPx, charPx);
}
