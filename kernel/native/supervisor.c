/*
 * warren-supervisor: the process Jupyter launches (the kernelspec's argv).
 *
 *   warren-supervisor NODE CLI [KERNEL ARGS...]
 *
 * It runs `NODE [--max-old-space-size=WARREN_HEAP_MB] CLI kernel-process
 * [KERNEL ARGS...]` as its child and outlives it: where V8 itself must die
 * (its heap limit, an allocation larger than V8 allows, a kill by the
 * system), it starts a new kernel on the same ports and leaves it a file
 * (WARREN_AFTERLIFE) with what it saw of the death and the requests the dead
 * one had taken and not answered; the new kernel answers those, saying why
 * (kernel/io/afterlife.ts). It is C, not Node, so that it holds about 1 MB,
 * not a Node process's 40.
 *
 * The child's descriptors: 0 /dev/null; 1 this one's; 2 a pipe this one
 * passes on to its own stderr, keeping the last 16 KB; 3 a pipe of notes from
 * the kernel's io thread, one line each (afterlife.ts writes them):
 *   R <tab> MSGID <tab> REQUEST   a request taken (MSGID and REQUEST are JSON)
 *   A <tab> MSGID                 the request answered
 *   H <tab> MB                    the kernel's heap limit
 *   S                             a shutdown began: not to be started again
 * and 4 a pipe on which a SIGINT to this process is passed on as a byte: a
 * signal reaches only the kernel's main thread, which a busy cell holds.
 * SIGTERM and SIGHUP are passed on, then SIGKILL after 5 s (a kernel whose
 * main thread is stuck cannot run its handler). The kernel watches its
 * parent (WARREN_SUPERVISOR_PID), and ends should this process be killed.
 * WARREN_NO_SUPERVISOR=1: the kernel runs in this process's place, alone.
 *
 * Before the kernel, it starts the user's TypeScript compiler from its
 * snapshot (start_compiler_early), unless one of this build lives already.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <libgen.h>
#include <time.h>
#include <unistd.h>

/* A kernel that dies this soon after it started, before any request, has a fault at start-up. */
#define QUICK_DEATH_MS 3000
#define STDERR_TAIL 16384
#define KILL_AFTER_MS 5000
/* A note longer than this (a request's header is far shorter) is dropped whole. */
#define NOTE_MAX (1 << 20)
/*
 * After reading notes, how long this process leaves the notes pipe unwatched.
 * A note is read only once the kernel has died, but a watched pipe wakes this
 * process at each write: twice a request, which cost the kernel's io thread
 * and this process 0.1-0.2 ms of CPU each on a virtual machine here. Unwatched,
 * a write wakes nobody; 64 KB of pipe holds more than a hundred requests'
 * notes, read every NOTES_GAP_MS, and all that is left once the kernel ends.
 */
#define NOTES_GAP_MS 50

extern char **environ;

struct pending {
  char *msg_id;  /* JSON */
  char *request; /* JSON */
};

struct outcome {
  int code;   /* -1 when signalled */
  int signal; /* 0 when exited */
  int stopping;
  long heap_limit_mb;    /* WARREN_HEAP_MB's, or 0 */
  long reported_heap_mb; /* the kernel's own, as it noted it, or 0 */
  long requests;
  long long started_ms;
};

static struct pending *pending;
static size_t pending_count, pending_size;
static char tail[STDERR_TAIL];
static size_t tail_start, tail_length;
static char *note;
static size_t note_length, note_size;
static int note_dropping;

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void *must(void *p) {
  if (!p) {
    fputs("[warren] the supervisor is out of memory\n", stderr);
    exit(1);
  }
  return p;
}

static void write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return; /* our stderr is gone: the kernel's goes nowhere, as it would */
    data += n;
    length -= (size_t)n;
  }
}

static void keep_tail(const char *data, size_t length) {
  for (size_t i = 0; i < length; i++) {
    size_t at = (tail_start + tail_length) % STDERR_TAIL;
    tail[at] = data[i];
    if (tail_length < STDERR_TAIL)
      tail_length++;
    else
      tail_start = (tail_start + 1) % STDERR_TAIL;
  }
}

static void forget_pending(void) {
  for (size_t i = 0; i < pending_count; i++) {
    free(pending[i].msg_id);
    free(pending[i].request);
  }
  pending_count = 0;
}

static void take_note(struct outcome *out, char *line) {
  char *fields[3] = {line, NULL, NULL};
  for (int f = 1; f < 3; f++) {
    char *tab = fields[f - 1] ? strchr(fields[f - 1], '\t') : NULL;
    if (!tab) break;
    *tab = '\0';
    fields[f] = tab + 1;
  }
  if (strcmp(fields[0], "R") == 0 && fields[1] && fields[2]) {
    /* The request goes into the afterlife's JSON as it is: an object, or nothing. */
    size_t length = strlen(fields[2]);
    if (length < 2 || fields[2][0] != '{' || fields[2][length - 1] != '}') return;
    out->requests++;
    for (size_t i = 0; i < pending_count; i++) {
      if (strcmp(pending[i].msg_id, fields[1]) != 0) continue;
      /* A msg_id that comes again is one request owed, the newer. */
      free(pending[i].request);
      pending[i].request = must(strdup(fields[2]));
      return;
    }
    if (pending_count == pending_size) {
      pending_size = pending_size ? pending_size * 2 : 16;
      pending = must(realloc(pending, pending_size * sizeof *pending));
    }
    pending[pending_count].msg_id = must(strdup(fields[1]));
    pending[pending_count].request = must(strdup(fields[2]));
    pending_count++;
  } else if (strcmp(fields[0], "A") == 0 && fields[1]) {
    for (size_t i = 0; i < pending_count; i++) {
      if (strcmp(pending[i].msg_id, fields[1]) != 0) continue;
      free(pending[i].msg_id);
      free(pending[i].request);
      memmove(&pending[i], &pending[i + 1], (pending_count - i - 1) * sizeof *pending);
      pending_count--;
      break;
    }
  } else if (strcmp(fields[0], "H") == 0 && fields[1]) {
    out->reported_heap_mb = strtol(fields[1], NULL, 10);
  } else if (strcmp(fields[0], "S") == 0) {
    out->stopping = 1;
  }
}

static void take_notes(struct outcome *out, const char *data, size_t length) {
  for (size_t i = 0; i < length; i++) {
    if (data[i] == '\n') {
      if (!note_dropping) {
        if (!note) note = must(malloc(note_size = 4096));
        note[note_length] = '\0'; /* room kept: note_length + 1 < note_size */
        take_note(out, note);
      }
      note_length = 0;
      note_dropping = 0;
      continue;
    }
    if (note_dropping) continue;
    if (note_length + 1 >= NOTE_MAX) {
      note_dropping = 1;
      continue;
    }
    if (note_length + 1 >= note_size) {
      note_size = note_size ? note_size * 2 : 4096;
      note = must(realloc(note, note_size));
    }
    note[note_length++] = data[i];
  }
}

/*
 * Reads what the pipe holds now, `reads` reads at most, so that a pipe kept
 * full (a flood on stderr) never keeps signals waiting; returns 0 at its end.
 */
static int drain(int fd, struct outcome *out, int is_notes, int reads) {
  char buffer[65536];
  while (reads-- > 0) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 1; /* EAGAIN: nothing more now */
    if (n == 0) return 0;
    if (is_notes) {
      take_notes(out, buffer, (size_t)n);
    } else {
      write_all(2, buffer, (size_t)n);
      keep_tail(buffer, (size_t)n);
    }
  }
  return 1;
}

static const char *signal_name(int sig) {
  static char other[16];
  switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGUSR1: return "SIGUSR1";
    case SIGSEGV: return "SIGSEGV";
    case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGSYS: return "SIGSYS";
    default:
      snprintf(other, sizeof other, "SIG%d", sig);
      return other;
  }
}

/* The stderr tail as a JSON string's body: bytes as they are, but for what JSON escapes. */
static void json_string(FILE *f, const char *s, size_t length) {
  fputc('"', f);
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

/* What the new kernel reads (afterlife.ts, `Death`). */
static int write_afterlife(const char *file, const struct outcome *out) {
  FILE *f = fopen(file, "w");
  if (!f) return -1;
  fputs("{\"code\":", f);
  if (out->signal)
    fputs("null", f);
  else
    fprintf(f, "%d", out->code);
  fputs(",\"signal\":", f);
  if (out->signal)
    fprintf(f, "\"%s\"", signal_name(out->signal));
  else
    fputs("null", f);
  fputs(",\"heapLimitMb\":", f);
  long limit = out->heap_limit_mb ? out->heap_limit_mb : out->reported_heap_mb;
  if (limit)
    fprintf(f, "%ld", limit);
  else
    fputs("null", f);
  /* The tail in order; a UTF-8 character cut at its start reads as U+FFFD. */
  char *linear = must(malloc(STDERR_TAIL));
  for (size_t i = 0; i < tail_length; i++) linear[i] = tail[(tail_start + i) % STDERR_TAIL];
  fputs(",\"stderr\":", f);
  json_string(f, linear, tail_length);
  free(linear);
  fputs(",\"pending\":[", f);
  for (size_t i = 0; i < pending_count; i++) fprintf(f, "%s%s", i ? "," : "", pending[i].request);
  fputs("]}\n", f);
  int failed = ferror(f);
  return fclose(f) != 0 || failed ? -1 : 0;
}

/*
 * Reaps every child that ended (this process may be a container's PID 1,
 * the parent of whatever a cell left behind); whether `child` was one.
 */
static int reap(pid_t child, int *status) {
  int ended = 0, s;
  for (;;) {
    pid_t pid = waitpid(-1, &s, WNOHANG);
    if (pid == child) {
      *status = s;
      ended = 1;
    } else if (pid <= 0) {
      return ended;
    }
  }
}

/* Whether SIGTERM or SIGHUP came since the kernel ended; reaps, drops interrupts. */
static int stop_asked(int signals) {
  struct signalfd_siginfo info;
  int stop = 0, status;
  while (read(signals, &info, sizeof info) == (ssize_t)sizeof info) {
    if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGHUP) stop = 1;
    if (info.ssi_signo == SIGCHLD) reap(-1, &status);
  }
  return stop;
}

static void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/*
 * binary-pages.ts's eager binding, unless the user set LD_BIND_NOW: the
 * dynamic linker resolves every symbol of Node and its addons as each loads,
 * before the kernel and its compiler unmap what their start mapped, rather
 * than at each function's first call, which searched Node's 7 MB of symbol
 * tables and left 2.5 MB of them resident in the kernel.
 */
static void bind_at_start(void) {
  if (getenv("LD_BIND_NOW")) return;
  setenv("LD_BIND_NOW", "1", 1);
  setenv("WARREN_BIND_NOW", "1", 1);
}

/* Runs one kernel until it ends; what happened goes to `out`. */
static void run_kernel(char **argv, int signals, struct outcome *out) {
  int err[2], notes[2], interrupts[2];
  if (pipe2(err, O_CLOEXEC) || pipe2(notes, O_CLOEXEC) || pipe2(interrupts, O_CLOEXEC)) {
    perror("[warren] supervisor: pipe");
    exit(1);
  }
  out->started_ms = now_ms();
  pid_t child = fork();
  if (child < 0) {
    perror("[warren] supervisor: fork");
    exit(1);
  }
  if (child == 0) {
    /* The kernel starts as Node would start it: no signal blocked or ignored
       (whatever ignored them for this one: nohup, a shell's background job). */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++)
      if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(err[1], 2) < 0 || dup2(notes[1], 3) < 0 ||
        dup2(interrupts[0], 4) < 0) {
      perror("[warren] supervisor: the kernel's descriptors");
      _exit(127);
    }
    execv(argv[0], argv);
    fprintf(stderr, "[warren] supervisor: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(err[1]);
  close(notes[1]);
  close(interrupts[0]);
  set_nonblocking(err[0]);
  set_nonblocking(notes[0]);
  set_nonblocking(interrupts[1]);
  note_length = 0;
  note_dropping = 0;

  int err_open = 1, notes_open = 1, status = 0;
  long long kill_at = 0, notes_watched_at = 0;
  for (;;) {
    long long now = now_ms();
    int notes_watched = notes_open && now >= notes_watched_at;
    struct pollfd fds[3] = {
        {signals, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}, {notes_watched ? notes[0] : -1, POLLIN, 0}};
    long long wake_at = kill_at;
    if (notes_open && !notes_watched && (!wake_at || notes_watched_at < wake_at)) wake_at = notes_watched_at;
    int timeout = -1;
    if (wake_at) {
      long long left = wake_at - now;
      timeout = left > 0 ? (int)left : 0;
    }
    int ready = poll(fds, 3, timeout);
    if (ready < 0 && errno != EINTR) {
      perror("[warren] supervisor: poll");
      exit(1);
    }
    if (kill_at && now_ms() >= kill_at) {
      kill(child, SIGKILL);
      kill_at = 0;
    }
    if (ready <= 0) continue;
    if (fds[1].revents) err_open = drain(err[0], out, 0, 1);
    if (fds[2].revents) {
      notes_open = drain(notes[0], out, 1, 1);
      notes_watched_at = now_ms() + NOTES_GAP_MS;
    }
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo info;
      int exited = 0;
      while (read(signals, &info, sizeof info) == (ssize_t)sizeof info) {
        int sig = (int)info.ssi_signo;
        if (sig == SIGINT) {
          if (!exited) (void)!write(interrupts[1], "i", 1);
        } else if (sig == SIGTERM || sig == SIGHUP) {
          out->stopping = 1;
          if (!exited) kill(child, sig);
          if (!kill_at) kill_at = now_ms() + KILL_AFTER_MS;
        } else if (sig == SIGCHLD) {
          exited |= reap(child, &status);
        }
      }
      if (exited) break;
    }
  }
  /* What the kernel wrote before it ended is in the pipes now (up to 4 MB of
     stderr is passed on); a process it left behind holding them is not waited for. */
  if (err_open) drain(err[0], out, 0, 64);
  if (notes_open) drain(notes[0], out, 1, 1 << 20);
  close(err[0]);
  close(notes[0]);
  close(interrupts[1]);
  if (WIFSIGNALED(status)) {
    out->signal = WTERMSIG(status);
    out->code = -1;
  } else {
    out->signal = 0;
    out->code = WEXITSTATUS(status);
  }
}

/* When process `pid` started, in ms since the epoch (to a second: the boot
   time's grain), or -1. */
static long long started_ms(const char *pid) {
  static long long boot = -1;
  char text[4096];
  if (boot < 0) {
    /* Its interrupt counts come first: tens of KB on a large machine. */
    FILE *f = fopen("/proc/stat", "re");
    if (!f) return -1;
    char *line = NULL;
    size_t size = 0;
    while (boot < 0 && getline(&line, &size, f) > 0)
      if (!strncmp(line, "btime ", 6)) boot = atoll(line + 6);
    free(line);
    fclose(f);
    if (boot < 0) return -1;
  }
  char path[300];
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = 0;
  /* The fields after the command's name (which may hold ") "): the start is the 20th. */
  char *at = strrchr(text, ')');
  if (!at) return -1;
  at += 2;
  for (int field = 0; field < 19 && at; field++) {
    at = strchr(at, ' ');
    if (at) at++;
  }
  if (!at) return -1;
  return boot * 1000 + atoll(at) * 1000 / sysconf(_SC_CLK_TCK);
}

/* A process of this user started from `blob` with the same
   WARREN_COMPILER_DIR, XDG_RUNTIME_DIR and TMPDIR as this one, since the blob was
   built (a compiler of this build, serving or about to serve the kernels
   this one's would join; one of an earlier build serves a socket of its own),
   or 0. */
static pid_t compiler_living(const char *blob) {
  struct stat built;
  if (stat(blob, &built) != 0) return 0;
  long long built_ms = (long long)built.st_mtim.tv_sec * 1000 + built.st_mtim.tv_nsec / 1000000;
  DIR *proc = opendir("/proc");
  if (!proc) return 0;
  /* What names the compiler's folder (compiler-socket.ts's socketFolder). */
  const char *want_dir = getenv("WARREN_COMPILER_DIR");
  const char *want_runtime = getenv("XDG_RUNTIME_DIR");
  const char *want_tmp = getenv("TMPDIR");
  char needle[4200];
  int needle_length = snprintf(needle, sizeof needle, "--snapshot-blob%c%s%c", 0, blob, 0);
  pid_t found = 0;
  struct dirent *entry;
  static char buffer[65536];
  while (!found && (entry = readdir(proc))) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    char path[300];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%s", entry->d_name);
    if (stat(path, &st) != 0 || st.st_uid != getuid()) continue;
    snprintf(path, sizeof path, "/proc/%s/cmdline", entry->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0 || !memmem(buffer, (size_t)n, needle, (size_t)needle_length)) continue;
    snprintf(path, sizeof path, "/proc/%s/environ", entry->d_name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n < 0) continue;
    buffer[n] = 0;
    const char *its_dir = NULL, *its_runtime = NULL, *its_tmp = NULL;
    for (char *v = buffer; v < buffer + n; v += strlen(v) + 1) {
      if (!strncmp(v, "WARREN_COMPILER_DIR=", 20)) its_dir = v + 20;
      if (!strncmp(v, "XDG_RUNTIME_DIR=", 16)) its_runtime = v + 16;
      if (!strncmp(v, "TMPDIR=", 7)) its_tmp = v + 7;
    }
    int dir_same = want_dir ? its_dir && !strcmp(its_dir, want_dir) : !its_dir;
    int runtime_same = want_runtime ? its_runtime && !strcmp(its_runtime, want_runtime) : !its_runtime;
    int tmp_same = want_tmp ? its_tmp && !strcmp(its_tmp, want_tmp) : !its_tmp;
    /* The boot time is whole seconds: a second's grace. */
    long long started = started_ms(entry->d_name);
    if (dir_same && runtime_same && tmp_same && started >= 0 && started + 1000 >= built_ms)
      found = (pid_t)atol(entry->d_name);
  }
  closedir(proc);
  return found;
}

/*
 * The user's TypeScript compiler, started now from its snapshot rather than by
 * the kernel once its Node has loaded (about 150 ms later): it takes half a
 * second to start, and the first typed cell waits for it. Its command line is
 * the build's (lib/kernel/engines/typescript/compiler.early, one argument a
 * line, beside the blob; none without a snapshot). The compiler itself finds
 * out whether it is wanted (compiler-process.ts: a snapshot as new as its
 * code, no compiler listening, none being started) and leaves when not; the
 * kernel learns of it by WARREN_COMPILER_EARLY_PID and starts none while it
 * lives. None for the panels' services kernel (JPY_SESSION_NAME in a `.warren`
 * folder) or with WARREN_EARLY_COMPILER=0; while a compiler of this build for
 * the same folder lives, none either, and the kernel is told of that one.
 */
static void start_compiler_early(const char *node, const char *cli, int typed) {
  const char *off = getenv("WARREN_EARLY_COMPILER");
  if (off && !strcmp(off, "0")) return;
  const char *session = getenv("JPY_SESSION_NAME");
  if (session && *session) {
    char *copy = must(strdup(session));
    int services = !strcmp(basename(dirname(copy)), ".warren");
    free(copy);
    if (services) return;
  }
  char *cli_copy = must(strdup(cli));
  char list[4200];
  snprintf(list, sizeof list, "%s/../engines/typescript/compiler.early", dirname(cli_copy));
  free(cli_copy);
  int fd = open(list, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  static char text[8192];
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return;
  text[n] = 0;
  char *args[40];
  int count = 0;
  const char *blob = NULL;
  args[count++] = (char *)node;
  for (char *line = strtok(text, "\n"); line && count < 38; line = strtok(NULL, "\n")) {
    if (count > 1 && !strcmp(args[count - 1], "--snapshot-blob")) blob = line;
    args[count++] = line;
  }
  args[count] = NULL;
  if (!blob) return;
  pid_t compiler = compiler_living(blob);
  if (compiler > 0) {
    /* It answers at once, or will: the kernel waits for it rather than start one. */
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)compiler);
    setenv("WARREN_COMPILER_EARLY_PID", pid, 1);
    return;
  }

  int report[2];
  if (pipe2(report, O_CLOEXEC)) return;
  pid_t middle = fork();
  if (middle < 0) {
    close(report[0]);
    close(report[1]);
    return;
  }
  if (middle == 0) {
    /* Twice: the compiler is no child of this one (which reaps its kernel's
       deaths with waitpid(-1)), and outlives it. */
    pid_t compiler = fork();
    if (compiler == 0) {
      setsid(); /* no interrupt of the kernel's reaches it */
      /* A TypeScript notebook's folder, which it readies a converter for while the kernel loads. */
      char folder[4096];
      if (typed && getcwd(folder, sizeof folder)) setenv("WARREN_COMPILER_FOLDER", folder, 1);
      else unsetenv("WARREN_COMPILER_FOLDER");
      if (chdir("/")) _exit(127);
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      /* compiler-socket.ts's compilerEnv, which a kernel's start would give it. */
      setenv("MALLOC_ARENA_MAX", "2", 1);
      if (!getenv("MALLOC_MMAP_THRESHOLD_")) setenv("MALLOC_MMAP_THRESHOLD_", "131072", 1);
      const char *tunables = getenv("GLIBC_TUNABLES");
      if (!tunables || !*tunables) {
        setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
      } else if (!strstr(tunables, "glibc.malloc.hugetlb=")) {
        char joined[4200];
        snprintf(joined, sizeof joined, "%s:glibc.malloc.hugetlb=1", tunables);
        setenv("GLIBC_TUNABLES", joined, 1);
      }
      unsetenv("NODE_OPTIONS");
      bind_at_start();
      setenv("WARREN_COMPILER_EARLY", "1", 1);
      execv(node, args);
      _exit(127);
    }
    if (compiler > 0) (void)!write(report[1], &compiler, sizeof compiler);
    _exit(0);
  }
  close(report[1]);
  if (read(report[0], &compiler, sizeof compiler) != (ssize_t)sizeof compiler) compiler = 0;
  close(report[0]);
  waitpid(middle, NULL, 0);
  if (compiler > 0) {
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)compiler);
    setenv("WARREN_COMPILER_EARLY_PID", pid, 1);
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fputs("usage: warren-supervisor NODE CLI [KERNEL ARGS...]\n", stderr);
    return 2;
  }
  /* The kernel's heap limit in MB: WARREN_HEAP_MB, a whole number of 64 or more. */
  long heap_mb = 0;
  const char *asked = getenv("WARREN_HEAP_MB");
  if (asked && *asked) {
    char *end;
    long n = strtol(asked, &end, 10);
    if (*end == '\0' && n >= 64) heap_mb = n;
  }
  char heap_flag[64];
  snprintf(heap_flag, sizeof heap_flag, "--max-old-space-size=%ld", heap_mb);
  char **child_argv = must(calloc((size_t)argc + 3, sizeof *child_argv));
  int n = 0;
  child_argv[n++] = argv[1];
  if (heap_mb) child_argv[n++] = heap_flag;
  child_argv[n++] = argv[2];
  child_argv[n++] = "kernel-process";
  for (int i = 3; i < argc; i++) child_argv[n++] = argv[i];
  child_argv[n] = NULL;

  /* The kernel's language: TypeScript unless its command line says JavaScript. */
  int typed = 1;
  for (int i = 3; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--language")) typed = strcmp(argv[i + 1], "javascript") != 0;
  start_compiler_early(argv[1], argv[2], typed);

  /* One process, no restart: the kernel in this one's place. */
  const char *alone = getenv("WARREN_NO_SUPERVISOR");
  if (alone && *alone) {
    unsetenv("WARREN_SUPERVISOR_PID");
    unsetenv("WARREN_AFTERLIFE");
    execv(child_argv[0], child_argv);
    fprintf(stderr, "[warren] supervisor: cannot run %s: %s\n", child_argv[0], strerror(errno));
    return 1;
  }

  char pid[32];
  snprintf(pid, sizeof pid, "%ld", (long)getpid());
  setenv("WARREN_SUPERVISOR_PID", pid, 1);
  unsetenv("WARREN_AFTERLIFE");
  /* malloc.ts's fixed mmap threshold, unless the user set one. */
  if (!getenv("MALLOC_MMAP_THRESHOLD_")) {
    setenv("MALLOC_MMAP_THRESHOLD_", "131072", 1);
    setenv("WARREN_MMAP_THRESHOLD", "1", 1);
  }
  bind_at_start();

  /* Ignored SIGCHLD (inherited) would have the system reap the kernel unseen. */
  signal(SIGCHLD, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  int signals = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signals < 0) {
    perror("[warren] supervisor: signalfd");
    return 1;
  }

  /* Started by `warren kernel` typed by hand (kernel/supervisor.ts), which
     nothing else watches: this one ends with it. */
  const char *watch = getenv("WARREN_SUPERVISOR_WATCH_PARENT");
  if (watch && *watch) {
    unsetenv("WARREN_SUPERVISOR_WATCH_PARENT");
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1) return 0;
  }

  const char *tmp = getenv("TMPDIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/warren-supervisor-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int have_dir = 0; /* made at the first death */
  char file[4200] = "";
  int code = 0;
  for (int generation = 0;; generation++) {
    struct outcome out = {0};
    out.heap_limit_mb = heap_mb;
    forget_pending();
    tail_start = tail_length = 0;
    run_kernel(child_argv, signals, &out);
    if (!out.signal && out.code >= 0 && out.code <= 2) {
      code = out.code; /* shutdown (0), or a start-up error the kernel reported */
      break;
    }
    if (out.stopping) break;
    if (out.signal)
      fprintf(stderr, "[warren] the kernel died: it was ended by %s; starting a new one\n",
              signal_name(out.signal));
    else
      fprintf(stderr, "[warren] the kernel died: it exited with code %d; starting a new one\n", out.code);
    if (now_ms() - out.started_ms < QUICK_DEATH_MS && out.requests == 0) {
      fputs("[warren] it died again at once: giving up\n", stderr);
      code = 1;
      break;
    }
    /* Asked to stop while the kernel died: no new one. An interrupt meant for
       the cell that died is dropped. */
    if (stop_asked(signals)) break;
    if (!have_dir) have_dir = mkdtemp(dir) != NULL;
    if (!have_dir) {
      fputs("[warren] supervisor: no folder for the dead kernel's requests; giving up\n", stderr);
      code = 1;
      break;
    }
    snprintf(file, sizeof file, "%s/afterlife-%d.json", dir, generation);
    if (write_afterlife(file, &out) != 0) {
      fprintf(stderr, "[warren] supervisor: cannot write %s: %s\n", file, strerror(errno));
      unsetenv("WARREN_AFTERLIFE");
    } else {
      setenv("WARREN_AFTERLIFE", file, 1);
    }
  }
  if (*file) unlink(file);
  if (have_dir) rmdir(dir);
  return code;
}
