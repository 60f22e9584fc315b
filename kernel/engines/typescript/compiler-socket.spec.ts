import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socketPath, withHugePages } from './compiler-socket';

describe("the compiler's socket", () => {
  const before = process.env.WARREN_COMPILER_DIR;
  let folder: string;
  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'warren-socket-'))));
  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
    if (before === undefined) delete process.env.WARREN_COMPILER_DIR;
    else process.env.WARREN_COMPILER_DIR = before;
  });

  test('is in a folder only its user can open, made so when missing', () => {
    process.env.WARREN_COMPILER_DIR = join(folder, 'compilers');
    const path = socketPath('/opt/warren/lib/kernel/engines/typescript/compiler-process.js');
    expect(path).toMatch(new RegExp(`^${folder}/compilers/compiler-[0-9a-f]{16}\\.sock$`));
  });

  test('is refused in a folder others can write to: their compiler would answer with code', () => {
    process.env.WARREN_COMPILER_DIR = folder;
    chmodSync(folder, 0o777);
    expect(() => socketPath('/opt/warren/compiler-process.js')).toThrow(
      /is not this user's alone \(owner \d+, mode 777\)/
    );
  });

  test("is another build's when the compiler's code differs", () => {
    process.env.WARREN_COMPILER_DIR = folder;
    expect(socketPath('/opt/a/compiler-process.js')).not.toBe(
      socketPath('/opt/b/compiler-process.js')
    );
  });

  test("asks glibc for huge pages beside the user's own tunables, and leaves a choice of the user's alone", () => {
    expect(withHugePages(undefined)).toBe('glibc.malloc.hugetlb=1');
    expect(withHugePages('')).toBe('glibc.malloc.hugetlb=1');
    expect(withHugePages('glibc.malloc.trim_threshold=262144')).toBe(
      'glibc.malloc.trim_threshold=262144:glibc.malloc.hugetlb=1'
    );
    expect(withHugePages('glibc.malloc.hugetlb=0')).toBe('glibc.malloc.hugetlb=0');
    expect(withHugePages('glibc.cpu.x86_ibt=0:glibc.malloc.hugetlb=2')).toBe(
      'glibc.cpu.x86_ibt=0:glibc.malloc.hugetlb=2'
    );
  });
});
