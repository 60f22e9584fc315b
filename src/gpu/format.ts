/** Figures as the GPU panel and its status item write them. */

/** "NVIDIA H100 80GB HBM3" is "H100 80GB HBM3" in the status bar. */
export function shortName(name: string): string {
  return name.replace(/^(NVIDIA|AMD)\s+/i, '');
}

/** Mebibytes as gibibytes, one decimal below 100. */
export function gib(mib: number, unit = true): string {
  const g = mib / 1024;
  const text = g >= 100 ? g.toFixed(0) : g.toFixed(1);
  return unit ? `${text} GiB` : text;
}
