/**
 * Sixel to PNG for a 1000x1000 image (issue 6: faster than libsixel's
 * `sixel2png`). The image is ImageMagick's plasma fractal, encoded by
 * img2sixel. Each side runs N times in this same run; medians are printed:
 * - warren in this process: decode with the sixel library + our PNG encoder + write the file
 * - warren as a fresh `node` process per image (the same work plus Node's start)
 * - `sixel2png -i x.six -o x.png` as a process (its start is a few ms of it)
 *   node lib/bench/sixel.js [runs]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SixelDecoder } from '../kernel/engines/sixel/decode';
import { encodePng } from '../kernel/engines/sixel/png';
import { median } from './measure';

function toPng(decoder: SixelDecoder, sixelFile: string, pngFile: string): void {
  const s = readFileSync(sixelFile, 'latin1');
  const start = s.indexOf('\x1bP');
  const decoded = decoder.decode(s.slice(start + 2, s.indexOf('\x1b\\', start)));
  if (!decoded?.ok) throw new Error(`not decoded: ${JSON.stringify(decoded)}`);
  writeFileSync(pngFile, encodePng(decoded.pixels, decoded.width, decoded.height));
}

function time(run: () => void): number {
  const t0 = performance.now();
  run();
  return performance.now() - t0;
}

export function main(runs = 15): {
  warrenMs: number;
  warrenProcessMs: number;
  sixel2pngMs: number;
} {
  const dir = mkdtempSync(join(tmpdir(), 'warren-bench-sixel-'));
  const source = join(dir, 'photo.png');
  const six = join(dir, 'photo.six');
  execFileSync('convert', ['-seed', '11', '-size', '1000x1000', 'plasma:fractal', source]);
  writeFileSync(six, execFileSync('img2sixel', [source], { maxBuffer: 1 << 28 }));
  const decoder = new SixelDecoder();
  toPng(decoder, six, join(dir, 'warm.png')); // wasm compile and JIT warm-up
  const ours: number[] = [];
  const oursProcess: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(time(() => toPng(decoder, six, join(dir, 'warren.png'))));
    oursProcess.push(
      time(() =>
        execFileSync(process.execPath, [__filename, '--once', six, join(dir, 'warren-cli.png')])
      )
    );
    theirs.push(
      time(() => {
        const r = spawnSync('sixel2png', ['-i', six, '-o', join(dir, 'libsixel.png')]);
        if (r.status !== 0) throw new Error(`sixel2png failed: ${r.stderr}`);
      })
    );
  }
  const size = (f: string) => readFileSync(join(dir, f)).length;
  const result = {
    warrenMs: median(ours),
    warrenProcessMs: median(oursProcess),
    sixel2pngMs: median(theirs)
  };
  console.log(
    `sixel -> PNG, 1000x1000 (${(readFileSync(six).length / 1e6).toFixed(2)} MB of sixel), median of ${runs}:`
  );
  console.log(
    `  warren (in process):      ${result.warrenMs.toFixed(1)} ms  PNG ${size('warren.png')} bytes`
  );
  console.log(`  warren (fresh node):      ${result.warrenProcessMs.toFixed(1)} ms`);
  console.log(
    `  libsixel sixel2png:       ${result.sixel2pngMs.toFixed(1)} ms  PNG ${size('libsixel.png')} bytes`
  );
  console.log(
    `  ratio sixel2png / warren: ${(result.sixel2pngMs / result.warrenMs).toFixed(2)}x in process, ${(result.sixel2pngMs / result.warrenProcessMs).toFixed(2)}x as processes`
  );
  return result;
}

if (require.main === module) {
  if (process.argv[2] === '--once') toPng(new SixelDecoder(), process.argv[3], process.argv[4]);
  else main(Number(process.argv[2]) || 15);
}
