// What Node does not bind and a root tcpwatch needs before it gives up root: emptying the
// capability bounding set (prctl PR_CAPBSET_DROP) and setting no_new_privs (PR_SET_NO_NEW_PRIVS),
// so that no later execve, of a setuid-root or file-capability program included, can give a
// compromised tcpwatch back what setuid() took (capabilities(7), "Capability bounding set";
// prctl(2)). native-notes/cap.md says what each tcpwatch process holds afterwards.
//
// Both are attributes of a thread, not of the process: prctl changes the calling thread only, and
// a Node process has run several threads since before any JavaScript (V8's workers, libuv's
// threads, the SIGUSR1 watchdog). Any of them could be made to call execve, so each must make the
// call itself. This module makes it on the calling thread, then has every other thread make it in
// a signal handler, one thread at a time, until a listing of /proc/self/task finds none left.
//
// The signal is 32, glibc's SIGCANCEL: glibc never lets a thread block it (nor 33, SIGSETXID,
// which glibc's own setuid broadcast uses), so it reaches every thread, including Node's SIGUSR1
// watchdog, which blocks every other signal. glibc's sigaction() refuses to set it, so the
// handler is put there with the raw rt_sigaction system call, in the form the kernel takes it,
// borrowed from a handler glibc installed on SIGRTMIN for an instant (glibc adds the signal
// return trampoline the kernel needs, whatever the architecture). The previous disposition of 32
// is put back once every thread has answered.

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/** glibc's SIGCANCEL, the kernel's first real-time signal; glibc keeps it unblockable. */
#define EVERY_THREAD_SIGNAL 32
/** The kernel's sigset_t for rt_sigaction: 64 signals on x86-64 and arm64. */
#define KERNEL_SIGSET_BYTES (64 / 8)
/** Bounds on the walk over the threads: a Node process runs about a dozen. */
#define MAX_THREADS 4096
#define MAX_PASSES 16
/** How long a thread may take to run the handler; generous for a loaded machine. */
#define ANSWER_TIMEOUT_MS 5000

/** A kernel struct sigaction, copied whole without knowing its layout. */
typedef union {
  unsigned char bytes[256];
  long double align;
} KernelSigaction;

static int last_cap = -1;
static _Atomic pid_t answered_tid;
static _Atomic int thread_errno;

/** Both limits on the calling thread; 0 or an errno. Async-signal-safe: system calls only. */
static int limit_calling_thread(void) {
  for (int cap = 0; cap <= last_cap; cap++) {
    // PR_CAPBSET_DROP needs CAP_SETPCAP even for a capability already out of the set.
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return errno;
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  return 0;
}

static void on_every_thread_signal(int sig, siginfo_t *info, void *context) {
  (void)sig;
  (void)context;
  // Only what this module sent: tgkill from this process.
  if (info->si_code != SI_TKILL || info->si_pid != getpid()) return;
  int saved_errno = errno;
  int err = limit_calling_thread();
  if (err != 0) atomic_store(&thread_errno, err);
  atomic_store(&answered_tid, (pid_t)syscall(SYS_gettid));
  errno = saved_errno;
}

/** The kernel's last capability number: /proc/sys/kernel/cap_last_cap, else the bounding set's answer. */
static int read_last_cap(void) {
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char text[16];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n > 0) {
      text[n] = '\0';
      char *end;
      long value = strtol(text, &end, 10);
      if (end != text && value >= 0 && value < 64) return (int)value;
    }
  }
  // Kernels before 3.2 have no cap_last_cap: PR_CAPBSET_READ answers EINVAL past the last one.
  int cap = 0;
  while (cap < 63 && prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0) cap++;
  return cap;
}

static int install_handler(KernelSigaction *previous) {
  struct sigaction ours, saved;
  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = on_every_thread_signal;
  ours.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&ours.sa_mask);
  KernelSigaction kernel_form;
  memset(&kernel_form, 0, sizeof kernel_form);
  if (sigaction(SIGRTMIN, &ours, &saved) != 0) return errno;
  int err = syscall(SYS_rt_sigaction, SIGRTMIN, NULL, &kernel_form, KERNEL_SIGSET_BYTES) == 0 ? 0 : errno;
  sigaction(SIGRTMIN, &saved, NULL);
  if (err != 0) return err;
  memset(previous, 0, sizeof *previous);
  if (syscall(SYS_rt_sigaction, EVERY_THREAD_SIGNAL, &kernel_form, previous, KERNEL_SIGSET_BYTES) != 0) return errno;
  return 0;
}

/** 1: `tid` ran the handler; 0: it ended first; -1: no answer in time. */
static int wait_for_answer(pid_t pid, pid_t tid) {
  const struct timespec millisecond = {0, 1000 * 1000};
  for (int waited = 0; waited < ANSWER_TIMEOUT_MS; waited++) {
    if (atomic_load(&answered_tid) == tid) return 1;
    if (syscall(SYS_tgkill, pid, tid, 0) != 0 && errno == ESRCH) return 0;
    nanosleep(&millisecond, NULL);
  }
  return atomic_load(&answered_tid) == tid ? 1 : -1;
}

static int contains(const pid_t *tids, int count, pid_t tid) {
  for (int i = 0; i < count; i++) if (tids[i] == tid) return 1;
  return 0;
}

/**
 * Has every thread but the caller run the handler. Returns the number of threads limited, or -1
 * with `why` filled; `*keep_handler` is set when a signal may still be on its way.
 */
static int limit_other_threads(pid_t pid, pid_t self, char *why, size_t why_len, int *keep_handler) {
  static pid_t limited[MAX_THREADS];
  int count = 0;
  limited[count++] = self;
  for (int pass = 0; pass < MAX_PASSES; pass++) {
    DIR *tasks = opendir("/proc/self/task");
    if (tasks == NULL) {
      snprintf(why, why_len, "cannot list /proc/self/task: %s", strerror(errno));
      return -1;
    }
    int added = 0;
    struct dirent *entry;
    while ((entry = readdir(tasks)) != NULL) {
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      pid_t tid = (pid_t)strtol(entry->d_name, NULL, 10);
      if (contains(limited, count, tid)) continue;
      if (count == MAX_THREADS) {
        closedir(tasks);
        snprintf(why, why_len, "more than %d threads", MAX_THREADS);
        return -1;
      }
      atomic_store(&answered_tid, 0);
      if (syscall(SYS_tgkill, pid, tid, EVERY_THREAD_SIGNAL) != 0) {
        if (errno == ESRCH) continue; // the thread ended
        snprintf(why, why_len, "cannot signal thread %d: %s", (int)tid, strerror(errno));
        closedir(tasks);
        return -1;
      }
      int answer = wait_for_answer(pid, tid);
      if (answer < 0) {
        *keep_handler = 1;
        closedir(tasks);
        snprintf(why, why_len, "thread %d did not answer within %d ms", (int)tid, ANSWER_TIMEOUT_MS);
        return -1;
      }
      if (answer == 1) {
        limited[count++] = tid;
        added++;
      }
    }
    closedir(tasks);
    // A thread started meanwhile by a limited thread inherits the limits; one started by a thread
    // not yet limited shows up in the next listing.
    if (added == 0) return count;
  }
  snprintf(why, why_len, "threads kept starting during %d listings of /proc/self/task", MAX_PASSES);
  return -1;
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/**
 * limitExecPrivileges(): empties the bounding set and sets no_new_privs on every thread of the
 * process. Returns the number of threads changed; throws an Error saying what failed.
 */
static napi_value limit_exec_privileges(napi_env env, napi_callback_info info) {
  (void)info;
  char why[160];
  last_cap = read_last_cap();
  int err = limit_calling_thread();
  if (err != 0) {
    snprintf(why, sizeof why, "prctl on the main thread: %s", strerror(err));
    return throw_error(env, why);
  }
  KernelSigaction previous;
  err = install_handler(&previous);
  if (err != 0) {
    snprintf(why, sizeof why, "cannot set a handler for signal %d: %s", EVERY_THREAD_SIGNAL, strerror(err));
    return throw_error(env, why);
  }
  atomic_store(&thread_errno, 0);
  int keep_handler = 0;
  int threads = limit_other_threads(getpid(), (pid_t)syscall(SYS_gettid), why, sizeof why, &keep_handler);
  // A late signal finds this handler, which does nothing new; glibc's SIGCANCEL handler, if it was
  // the previous one, would cancel the thread.
  if (!keep_handler) syscall(SYS_rt_sigaction, EVERY_THREAD_SIGNAL, &previous, NULL, KERNEL_SIGSET_BYTES);
  if (threads < 0) return throw_error(env, why);
  err = atomic_load(&thread_errno);
  if (err != 0) {
    snprintf(why, sizeof why, "prctl on another thread: %s", strerror(err));
    return throw_error(env, why);
  }
  napi_value result;
  napi_create_int32(env, threads, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "limitExecPrivileges", NAPI_AUTO_LENGTH, limit_exec_privileges, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "limitExecPrivileges", fn) != napi_ok) return NULL;
  return exports;
}
