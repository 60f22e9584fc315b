/**
 * Sixel in the real page: images from real encoders in a warren notebook, in
 * an ipykernel notebook's stream output and image/x-sixel output, in .six and
 * .sixel files, a stream shaped as mrpeek's, and in a Lab terminal, each
 * checked by reading the pixels the page drew.
 */
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { ROOT, runCommand, useLab, withScreenshot } from './harness';
import type { LabLike } from './harness';

jest.setTimeout(300000);

const pageErrors: string[] = [];
/** The test picture's pixels as ImageMagick reads them (RGBA). */
let source: Buffer;
const WIDTH = 120;
const HEIGHT = 72;

const lab = useLab(
  {},
  {
    beforeOpen: ({ server, page }) => {
      const work = join(server.root, 'work');
      const png = join(work, 'photo.png');
      execFileSync('convert', ['-seed', '5', '-size', `${WIDTH}x${HEIGHT}`, 'plasma:fractal', png]);
      source = execFileSync('convert', [png, '-depth', '8', 'rgba:-']);
      writeFileSync(join(work, 'photo.six'), execFileSync('img2sixel', [png]));
      copyFileSync(join(work, 'photo.six'), join(work, 'photo.sixel'));
      // Prints a picture as `mrpeek -batch` does (Debian's MRtrix3 has no mrpeek).
      copyFileSync(join(ROOT, 'test', 'bin', 'mrpeek-sixel'), join(work, 'mrpeek-sixel'));
      chmodSync(join(work, 'mrpeek-sixel'), 0o755);
      page.on('pageerror', (e) => pageErrors.push(e.message));
    }
  }
);

async function waitForIdleKernel(): Promise<void> {
  await lab.page.waitForFunction(
    () => {
      type KernelLike = { connectionStatus: string; status: string };
      const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
      const widget = app.shell.currentWidget as {
        sessionContext?: { session?: { kernel?: KernelLike | null } | null };
      } | null;
      const kernel = widget?.sessionContext?.session?.kernel;
      return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
    },
    null,
    { timeout: 120000, polling: 200 }
  );
}

/** Opens a new notebook on `kernelName`, runs `code` in its first cell, and returns that cell. */
async function runInNewNotebook(kernelName: string, code: string): Promise<Locator> {
  const { page } = lab;
  await runCommand(page, 'notebook:create-new', { kernelName });
  await waitForIdleKernel();
  const cell = page.locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell').first();
  await cell.locator('.cm-content').click();
  // Inserted, not typed: brackets and quotes are not doubled by the editor.
  await page.keyboard.insertText(code);
  await page.keyboard.press('Shift+Enter');
  return cell;
}

/** The pixels an <img> shows, read back through a canvas in the page (RGBA). */
async function imagePixels(
  img: Locator
): Promise<{ width: number; height: number; rgba: number[] }> {
  await img.waitFor({ timeout: 60000 });
  return img.evaluate(async (node) => {
    const el = node as unknown as {
      decode(): Promise<void>;
      naturalWidth: number;
      naturalHeight: number;
      ownerDocument: {
        createElement(tag: 'canvas'): {
          width: number;
          height: number;
          getContext(kind: '2d'): {
            drawImage(i: unknown, x: number, y: number): void;
            getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
          };
        };
      };
    };
    await el.decode();
    const canvas = el.ownerDocument.createElement('canvas');
    canvas.width = el.naturalWidth;
    canvas.height = el.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(el, 0, 0);
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    return { width: canvas.width, height: canvas.height, rgba: Array.from(data) };
  });
}

/** Mean absolute difference per colour channel against the source picture. */
function meanDifference(rgba: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < source.length; i++) {
    if (i % 4 === 3) continue;
    sum += Math.abs(rgba[i] - source[i]);
    n++;
  }
  return sum / n;
}

test('a warren cell that prints sixel shows an image of the picture, text kept around it', async () => {
  const { page } = lab;
  await withScreenshot(page, 'sixel-warren-cell', async () => {
    const cell = await runInNewNotebook('warren', '!echo before; img2sixel photo.png; echo after');
    const output = cell.locator('.jp-OutputArea-output');
    const img = output.locator('img');
    const shown = await imagePixels(img.first());
    expect([shown.width, shown.height]).toEqual([WIDTH, HEIGHT]);
    expect(meanDifference(shown.rgba)).toBeLessThan(12);
    await expect(output.allTextContents()).resolves.toEqual(['before\n', '', 'after\n']);
  });
});

test("an ipykernel cell's !img2sixel shows an image instead of escape codes", async () => {
  const { page } = lab;
  await withScreenshot(page, 'sixel-ipykernel-stream', async () => {
    const cell = await runInNewNotebook('python3', '!echo before; img2sixel photo.png; echo after');
    const stream = cell.locator(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]'
    );
    const shown = await imagePixels(stream.locator('img.jp-WarrenSixel-image').first());
    await expect(stream.count()).resolves.toBe(1);
    expect([shown.width, shown.height]).toEqual([WIDTH, HEIGHT]);
    expect(meanDifference(shown.rgba)).toBeLessThan(12);
    const text = (await stream.first().textContent()) ?? '';
    expect(text).toMatch(/before[\s\S]*after/);
    expect(text).not.toContain('\x1bP');
    expect(text).not.toMatch(/#\d+;2;/); // no palette definitions leaking as text
  });
});

test.each(['photo.six', 'photo.sixel'])(
  '%s opens in the sixel viewer as an image',
  async (file) => {
    const { page } = lab;
    await withScreenshot(page, `sixel-file-${file.replace('.', '-')}`, async () => {
      await runCommand(page, 'docmanager:open', { path: file });
      const viewer = page.locator('.jp-MimeDocument:visible');
      const shown = await imagePixels(viewer.locator('img.jp-WarrenSixel-image').first());
      expect([shown.width, shown.height]).toEqual([WIDTH, HEIGHT]);
      expect(meanDifference(shown.rgba)).toBeLessThan(12);
      // The document's tab is the file, in the viewer the sixel file type names.
      await expect(
        page
          .locator('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel')
          .textContent()
      ).resolves.toBe(file);
    });
  }
);

test("an ipykernel cell's image/x-sixel output shows an image of the picture", async () => {
  const { page } = lab;
  await withScreenshot(page, 'sixel-mime-output', async () => {
    const cell = await runInNewNotebook(
      'python3',
      "from IPython.display import display; display({'image/x-sixel': open('photo.six').read(), 'text/plain': 'a sixel'}, raw=True)"
    );
    const output = cell.locator('.jp-OutputArea-output');
    const shown = await imagePixels(output.locator('img.jp-WarrenSixel-image').first());
    expect([shown.width, shown.height]).toEqual([WIDTH, HEIGHT]);
    expect(meanDifference(shown.rgba)).toBeLessThan(12);
    // The sixel renderer was chosen over text/plain: one output, no text in it.
    await expect(output.count()).resolves.toBe(1);
    await expect(output.first().textContent()).resolves.toBe('');
  });
});

/** The 48x30 picture mrpeek-sixel prints: red left, blue right, a yellow crosshair. */
function expectMrpeekPicture(shown: { width: number; height: number; rgba: number[] }): void {
  expect([shown.width, shown.height]).toEqual([48, 30]);
  const at = (x: number, y: number) => shown.rgba.slice((y * 48 + x) * 4, (y * 48 + x) * 4 + 4);
  expect(at(5, 5)).toEqual([255, 0, 0, 255]);
  expect(at(40, 5)).toEqual([0, 0, 255, 255]);
  expect(at(24, 3)).toEqual([255, 255, 0, 255]);
  expect(at(5, 15)).toEqual([255, 255, 0, 255]);
  expect(at(47, 29)).toEqual([0, 0, 255, 255]);
}

for (const kernelName of ['warren', 'python3']) {
  test(`a batch-mode sixel stream shaped as mrpeek's from a ${kernelName} ! cell is an image, with no stray escape text`, async () => {
    const { page } = lab;
    await withScreenshot(page, `sixel-mrpeek-${kernelName}`, async () => {
      const cell = await runInNewNotebook(
        kernelName,
        `!echo before; ${join(lab.server.root, 'work', 'mrpeek-sixel')}; echo after`
      );
      const outputs = cell.locator('.jp-OutputArea-output');
      expectMrpeekPicture(await imagePixels(outputs.locator('img').first()));
      await expect(outputs.locator('img').count()).resolves.toBe(1);
      // warren makes the image in the kernel: three outputs. ipykernel's text is one
      // stream output, split around the image in the page; the CR after the image
      // must not have written "after" over its escape codes in the output area.
      await expect(outputs.allTextContents()).resolves.toEqual(
        kernelName === 'warren' ? ['before\n', '', 'after\n'] : ['before\nafter\n']
      );
    });
  });
}

test('a Lab terminal shows an image after img2sixel', async () => {
  const { page } = lab;
  await withScreenshot(page, 'sixel-terminal', async () => {
    await runCommand(page, 'terminal:create-new');
    const terminal = page.locator('.jp-Terminal[data-warren-sixel="on"]:visible');
    await terminal.waitFor({ timeout: 60000 });
    // Typing before the shell's prompt is drawn can be lost: read xterm.js's buffer for it.
    await page.waitForFunction(
      () => {
        type Buffer = {
          length: number;
          getLine(i: number): { translateToString(trim: boolean): string } | undefined;
        };
        const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
        const widget = app.shell.currentWidget as {
          content?: { _term?: { buffer: { active: Buffer } } };
        } | null;
        const buffer = widget?.content?._term?.buffer.active;
        if (!buffer) return false;
        let text = '';
        for (let i = 0; i < buffer.length; i++)
          text += (buffer.getLine(i)?.translateToString(true) ?? '') + '\n';
        return /[$#]\s*$/.test(text.trimEnd() + ' ');
      },
      null,
      { timeout: 30000, polling: 200 }
    );
    await terminal.locator('.xterm-screen').click();
    await page.keyboard.type(`img2sixel ${join(lab.server.root, 'work', 'photo.png')}\n`);
    const layer = terminal.locator('canvas.xterm-image-layer');
    await layer.waitFor({ state: 'attached', timeout: 30000 });
    // The addon draws the image on its layer, in cell tiles: the prompt that follows
    // takes the last, partial row of cells, as in xterm. Read back what it painted.
    const painted = await page.waitForFunction(
      () => {
        type Canvas = {
          width: number;
          height: number;
          getContext(k: '2d'): {
            getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
          } | null;
        };
        const doc = (
          globalThis as unknown as { document: { querySelector(s: string): Canvas | null } }
        ).document;
        const canvas = doc.querySelector(
          '.jp-Terminal:not(.lm-mod-hidden) canvas.xterm-image-layer'
        );
        const context = canvas?.getContext('2d');
        if (!canvas || !context || !canvas.width) return false;
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        const sum = [0, 0, 0];
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] === 0) continue;
          count++;
          for (let c = 0; c < 3; c++) sum[c] += data[i + c];
        }
        return count > 0 ? { count, mean: sum.map((v) => v / count) } : false;
      },
      null,
      { timeout: 30000, polling: 250 }
    );
    const { count, mean } = (await painted.jsonValue()) as { count: number; mean: number[] };
    expect(count).toBeGreaterThan(WIDTH * HEIGHT * 0.6);
    expect(count).toBeLessThanOrEqual(WIDTH * HEIGHT);
    const sourceMean = [0, 1, 2].map((c) => {
      let sum = 0;
      for (let i = c; i < source.length; i += 4) sum += source[i];
      return sum / (WIDTH * HEIGHT);
    });
    for (let c = 0; c < 3; c++) expect(Math.abs(mean[c] - sourceMean[c])).toBeLessThan(20);
  });
});

test('no page errors', () => {
  // JupyterLab's debugger asks every ipykernel for its state and logs this when there is none.
  expect(pageErrors.filter((e) => e !== 'No active debugger session')).toEqual([]);
});
