/*
 * Gives whole pages of this process's memory back to the system: a range
 * the caller owns (madvise MADV_DONTNEED), or what malloc holds free
 * (malloc_trim): what Node has no call for. The caller of `drop` must own
 * the pages and never read them again expecting their old contents: they
 * read as zeros afterwards. kernel/native/pages.ts is the only caller.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
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

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, trimmer, page;
  if (napi_create_function(env, "drop", NAPI_AUTO_LENGTH, drop, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "drop", fn) != napi_ok ||
      napi_create_function(env, "trim", NAPI_AUTO_LENGTH, trim, NULL, &trimmer) != napi_ok ||
      napi_set_named_property(env, exports, "trim", trimmer) != napi_ok ||
      napi_create_uint32(env, (uint32_t)sysconf(_SC_PAGESIZE), &page) != napi_ok ||
      napi_set_named_property(env, exports, "pageSize", page) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
