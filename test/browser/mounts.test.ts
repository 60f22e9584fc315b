/**
 * The Mounts panel on the real page: adds a bind mount with its form, shows it
 * with a green light, and removes it (unmounted and forgotten).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand, useLab, withScreenshot } from './harness';

jest.setTimeout(300000);

const base = mkdtempSync(join(tmpdir(), 'warren-mounts-ui-'));
const config = join(base, 'config');
const src = join(base, 'src');
const mp = join(base, 'mnt');

function isMounted(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === path);
}

beforeAll(() => {
  mkdirSync(src);
  writeFileSync(join(src, 'hello.txt'), 'hi\n');
});
// The services kernel reads and writes mounts.json under this config dir.
const lab = useLab({ JUPYTER_CONFIG_DIR: config });

test('the Mounts panel adds, shows and removes a mount', async () => {
  const { page } = lab;
  await withScreenshot(page, 'mounts-panel', async () => {
    await runCommand(page, 'warren:open-mounts');
    const panel = page.locator('#jp-warren-mounts');
    await panel.locator('.jp-WarrenMounts-empty').first().waitFor({ timeout: 120000 });
    const form = panel.locator('.jp-WarrenMounts-form');
    await form.locator('select[name="kind"]').selectOption('bind');
    await form.locator('input[name="source"]').fill(src);
    await form.locator('input[name="mountpoint"]').fill(mp);
    await form.locator('.jp-WarrenMounts-add').click();
    const row = panel.locator(`.jp-WarrenMounts-row[data-mountpoint="${mp}"]`);
    await row.locator('.jp-WarrenMounts-light[data-state="mounted"]').waitFor({ timeout: 60000 });
    await expect(row.locator('.jp-WarrenMounts-source').textContent()).resolves.toBe(
      `bind · ${src}`
    );
    expect(isMounted(mp)).toBe(true);
    expect(readFileSync(join(mp, 'hello.txt'), 'utf8')).toBe('hi\n');
    await expect(panel.locator('.jp-WarrenMounts-message').textContent()).resolves.toBe(
      `mounted ${src} on ${mp}`
    );

    await row.locator('.jp-WarrenMounts-remove').click();
    // Removing asks first.
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await row.waitFor({ state: 'detached', timeout: 60000 });
    expect(isMounted(mp)).toBe(false);
    expect(JSON.parse(readFileSync(join(config, 'warren', 'mounts.json'), 'utf8')).mounts).toEqual(
      []
    );
    // The log shows both steps.
    await panel.locator('.jp-WarrenMounts-logs summary').click();
    await expect(panel.locator('.jp-WarrenMounts-logText').textContent()).resolves.toMatch(
      new RegExp(`mounted ${src} on ${mp}[\\s\\S]*unmounted ${mp}`)
    );
  });
});
