/*
 * Gives whole pages of this process's memory back to the system: a range
 * the caller owns (madvise MADV_DONTNEED), or what malloc holds free
 * (malloc_trim): what Node has no call for. The caller of `drop` must own
 * the pages and never read them again expecting their old contents: they
 * read as zeros afterwards. `equalToFile` says how much of a range of this
 * process's memory equals a file's bytes, which is how the caller knows a
 * range for its own. `unmapProgram` unmaps the pages of the program's
 * read-only segments (its code and constants), which read again from the
 * file when next used. `hugePagesOff` keeps the process from taking more
 * transparent huge pages. kernel/native/pages.ts is the only caller.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* drop(address: bigint, length: bigint): both multiples of the page size. */
static napi_value drop(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2)
    return fail(env, "drop(address, length) takes two bigints");
  uint64_t address, length;
  bool lossless;
  if (napi_get_value_bigint_uint64(env, argv[0], &address, &lossless) != napi_ok || !lossless ||
      napi_get_value_bigint_uint64(env, argv[1], &length, &lossless) != napi_ok || !lossless)
    return fail(env, "drop(address, length) takes two bigints");
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  if (address == 0 || address % page != 0 || length == 0 || length % page != 0)
    return fail(env, "drop: address and length must be whole pages");
  if (madvise((void *)(uintptr_t)address, (size_t)length, MADV_DONTNEED) != 0)
    return fail(env, strerror(errno));
  return NULL;
}

/*
 * equalToFile(address: bigint, length: bigint, file: string, offset: number):
 * how many bytes from `address` (at most `length`) equal `file`'s from
 * `offset`, as a bigint. The memory must be readable (a mapping of this
 * process's, as /proc/self/maps lists it). The file is mapped, not read: its
 * pages are the system's cache, with nothing copied.
 */
static napi_value equal_to_file(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  const char *usage = "equalToFile(address, length, file, offset): bigint, bigint, string, number";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4)
    return fail(env, usage);
  uint64_t address, length;
  bool lossless;
  char path[4096];
  size_t path_length;
  int64_t offset;
  if (napi_get_value_bigint_uint64(env, argv[0], &address, &lossless) != napi_ok || !lossless ||
      napi_get_value_bigint_uint64(env, argv[1], &length, &lossless) != napi_ok || !lossless ||
      napi_get_value_string_utf8(env, argv[2], path, sizeof path, &path_length) != napi_ok ||
      napi_get_value_int64(env, argv[3], &offset) != napi_ok || offset < 0 || address == 0)
    return fail(env, usage);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(env, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return fail(env, strerror(e));
  }
  uint64_t available = (uint64_t)st.st_size > (uint64_t)offset ? (uint64_t)st.st_size - (uint64_t)offset : 0;
  if (length > available) length = available;
  uint64_t equal = 0;
  if (length > 0) {
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t start = (uint64_t)offset / page * page;
    size_t span = (size_t)((uint64_t)offset - start + length);
    unsigned char *mapped = mmap(NULL, span, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, (off_t)start);
    if (mapped == MAP_FAILED) {
      int e = errno;
      close(fd);
      return fail(env, strerror(e));
    }
    const unsigned char *theirs = mapped + ((uint64_t)offset - start);
    const unsigned char *mine = (const unsigned char *)(uintptr_t)address;
    const uint64_t chunk = 65536;
    while (equal < length) {
      uint64_t n = length - equal < chunk ? length - equal : chunk;
      if (memcmp(mine + equal, theirs + equal, (size_t)n) == 0) {
        equal += n;
        continue;
      }
      while (mine[equal] == theirs[equal]) equal++;
      break;
    }
    munmap(mapped, span);
  }
  close(fd);
  napi_value result;
  if (napi_create_bigint_uint64(env, equal, &result) != napi_ok) return NULL;
  return result;
}

/* The page size, and the bytes of address range unmapped so far. */
struct segments {
  uint64_t page;
  uint64_t unmapped;
};

/* Whether the object's dynamic section says the linker writes into its code (a text relocation). */
static int writes_text(struct dl_phdr_info *info) {
  for (int i = 0; i < info->dlpi_phnum; i++) {
    if (info->dlpi_phdr[i].p_type != PT_DYNAMIC) continue;
    const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    for (; d->d_tag != DT_NULL; d++)
      if (d->d_tag == DT_TEXTREL || (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL))) return 1;
  }
  return 0;
}

/* The whole pages a segment of the object lies on, from *start up to *end. */
static void page_span(const struct dl_phdr_info *info, const ElfW(Phdr) *ph, uint64_t page,
                      uint64_t *start, uint64_t *end) {
  uint64_t from = info->dlpi_addr + ph->p_vaddr;
  *start = from / page * page;
  *end = (from + ph->p_memsz + page - 1) / page * page;
}

static int unmap_read_only(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  struct segments *s = data;
  /* The program first, then each shared object it loaded (the C library,
     libstdc++, addons); not the kernel's vDSO, which no file holds. */
  if (info->dlpi_name && strstr(info->dlpi_name, "linux-vdso")) return 0;
  if (writes_text(info)) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || ph->p_memsz == 0) continue;
    uint64_t start, end;
    page_span(info, ph, s->page, &start, &end);
    /* A page shared with a writable segment (the linker wrote it, or the program does) stays. */
    for (int j = 0; j < info->dlpi_phnum; j++) {
      const ElfW(Phdr) *w = &info->dlpi_phdr[j];
      if ((w->p_type != PT_LOAD || !(w->p_flags & PF_W)) && w->p_type != PT_GNU_RELRO) continue;
      uint64_t wstart, wend;
      page_span(info, w, s->page, &wstart, &wend);
      if (wstart < end && wend > start) {
        if (wstart <= start) start = wend < end ? wend : end;
        else end = wstart;
      }
    }
    if (end <= start) continue;
    if (madvise((void *)(uintptr_t)start, (size_t)(end - start), MADV_DONTNEED) == 0)
      s->unmapped += end - start;
  }
  return 0;
}

/*
 * unmapProgram(): the pages of the read-only segments (code and constants)
 * of the program and of every shared object it loaded (the node binary, the
 * C library, libstdc++, addons) unmapped, as a number of bytes of address
 * range. Those segments are their files' pages, never written, so they read
 * again from the system's file cache as they are next used. An object whose
 * code the linker wrote (a text relocation) keeps them all, and any page of
 * a segment the linker or the object writes (relocated data) stays.
 */
static napi_value unmap_program(napi_env env, napi_callback_info info) {
  (void)info;
  struct segments s = {(uint64_t)sysconf(_SC_PAGESIZE), 0};
  dl_iterate_phdr(unmap_read_only, &s);
  napi_value result;
  if (napi_create_double(env, (double)s.unmapped, &result) != napi_ok) return NULL;
  return result;
}

/*
 * trim(): the free memory malloc holds, in every arena, given back (glibc's
 * malloc_trim); true when some was. V8 frees its own pages, but what Node
 * and V8 malloc (zones, buffers under the mmap threshold) stays with the
 * process after it is freed. Where the C library has no malloc_trim, false.
 */
static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
#ifdef __GLIBC__
  bool released = malloc_trim(0) == 1;
#else
  bool released = false;
#endif
  if (napi_get_boolean(env, released, &result) != napi_ok) return NULL;
  return result;
}

/*
 * hugePagesOff(): this process takes no transparent huge page from now on
 * (PR_SET_THP_DISABLE), even where malloc asked for them with madvise;
 * those it has stay. True when the system took the setting.
 */
static napi_value huge_pages_off(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
#ifdef PR_SET_THP_DISABLE
  bool off = prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0;
#else
  bool off = false;
#endif
  if (napi_get_boolean(env, off, &result) != napi_ok) return NULL;
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, trimmer, equal, page, program, huge;
  if (napi_create_function(env, "drop", NAPI_AUTO_LENGTH, drop, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "drop", fn) != napi_ok ||
      napi_create_function(env, "trim", NAPI_AUTO_LENGTH, trim, NULL, &trimmer) != napi_ok ||
      napi_set_named_property(env, exports, "trim", trimmer) != napi_ok ||
      napi_create_function(env, "equalToFile", NAPI_AUTO_LENGTH, equal_to_file, NULL, &equal) != napi_ok ||
      napi_set_named_property(env, exports, "equalToFile", equal) != napi_ok ||
      napi_create_function(env, "unmapProgram", NAPI_AUTO_LENGTH, unmap_program, NULL, &program) != napi_ok ||
      napi_set_named_property(env, exports, "unmapProgram", program) != napi_ok ||
      napi_create_function(env, "hugePagesOff", NAPI_AUTO_LENGTH, huge_pages_off, NULL, &huge) != napi_ok ||
      napi_set_named_property(env, exports, "hugePagesOff", huge) != napi_ok ||
      napi_create_uint32(env, (uint32_t)sysconf(_SC_PAGESIZE), &page) != napi_ok ||
      napi_set_named_property(env, exports, "pageSize", page) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
