/* The provided runtime (PROTOCOL.md 6.1): <code>/bootstrap runs once per invocation, the event on
 * its stdin, the response from its stdout. Behaviour and texts are those of the Go agent it
 * replaced (guest/runtime/provided.go and drain.go before commit 2004662), pinned by
 * guest/conformance.
 *
 * One thread does everything with poll(2): it writes the event, reads stdout and stderr, and
 * watches the process through a pidfd, so a child that writes a lot before it reads can't
 * deadlock against us and no helper thread has to be started on the cold path. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

const char *const function_base_env[] = {
    "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    "HOME=/tmp",
    "LANG=C.UTF-8",
    "TZ=UTC",
    NULL,
};

/* How long output pipes held open by leftover children may delay the result (Go's WaitDelay). */
#define IDLE_US 100000
/* A leftover child that keeps writing would keep the drain going for ever (the Go agent's did):
 * the drain ends at the deadline, or this long after the exit when that is later. */
#define DRAIN_MAX_US 1000000
/* agent_stopping has no wake-up of its own: it is looked at this often. */
#define STOP_CHECK_US 50000
/* Without pidfds (kernel < 5.3) the process is polled for with waitid this often. */
#define NO_PIDFD_TICK_US 5000

/* Go's texts for errno values are strerror's with a lower-case first letter. */
static char *go_strerror(int err) {
  char *s = xstrdup(strerror(err));
  if (isupper((unsigned char)s[0]) && islower((unsigned char)s[1])) s[0] = (char)tolower(s[0]);
  return s;
}

/* Go's syscall.Signal.String() on linux. */
static const char *const go_signal_names[] = {
    [SIGHUP] = "hangup", [SIGINT] = "interrupt", [SIGQUIT] = "quit",
    [SIGILL] = "illegal instruction", [SIGTRAP] = "trace/breakpoint trap",
    [SIGABRT] = "aborted", [SIGBUS] = "bus error", [SIGFPE] = "floating point exception",
    [SIGKILL] = "killed", [SIGUSR1] = "user defined signal 1", [SIGSEGV] = "segmentation fault",
    [SIGUSR2] = "user defined signal 2", [SIGPIPE] = "broken pipe", [SIGALRM] = "alarm clock",
    [SIGTERM] = "terminated", [SIGSTKFLT] = "stack fault", [SIGCHLD] = "child exited",
    [SIGCONT] = "continued", [SIGSTOP] = "stopped (signal)", [SIGTSTP] = "stopped",
    [SIGTTIN] = "stopped (tty input)", [SIGTTOU] = "stopped (tty output)",
    [SIGURG] = "urgent I/O condition", [SIGXCPU] = "CPU time limit exceeded",
    [SIGXFSZ] = "file size limit exceeded", [SIGVTALRM] = "virtual timer expired",
    [SIGPROF] = "profiling timer expired", [SIGWINCH] = "window changed",
    [SIGIO] = "I/O possible", [SIGPWR] = "power failure", [SIGSYS] = "bad system call",
};

/* filepath.Join(dir, "bootstrap") for the directories the server gives (no "." or ".."). */
static char *bootstrap_path(const char *dir) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  return xasprintf("%.*s%sbootstrap", (int)n, dir, n && dir[n - 1] == '/' ? "" : "/");
}

static bool provided_ready(void) { return true; }

static load_status provided_load(const code_t *code, char **msg, char **detail) {
  *msg = NULL;
  *detail = NULL;
  char *path = bootstrap_path(code->dir);
  struct stat st;
  if (stat(path, &st) != 0) {
    char *e = go_strerror(errno);
    *msg = xasprintf("code package has no bootstrap: stat %s: %s", path, e);
    free(e);
  } else if (!S_ISREG(st.st_mode)) {
    *msg = xstrdup("bootstrap is not a regular file");
  } else if (!(st.st_mode & 0111)) {
    *msg = xstrdup("bootstrap is not executable (zip it with mode 0755)");
  }
  free(path);
  return *msg ? LOAD_FAILED : LOAD_OK;
}

/* ---- environment (Go's FunctionEnv) ------------------------------------------------------- */

static bool has_key(const char *entry, const char *key, size_t keylen) {
  return strncmp(entry, key, keylen) == 0 && entry[keylen] == '=';
}

static int env_var_cmp(const void *a, const void *b) {
  const env_var *x = *(const env_var *const *)a, *y = *(const env_var *const *)b;
  int c = strcmp(x->key, y->key);
  return c ? c : (x > y) - (x < y); /* equal keys keep their order: the later one wins */
}

/* Base, then the function's variables sorted by name, then the platform's (which win). Like
 * os/exec, a name given twice keeps only its last value, at its last place. */
static char **function_env(const code_t *code, const invocation_t *inv) {
  enum { PLATFORM = 8 };
  char *platform[PLATFORM] = {
      xasprintf("FAASTER_CODE_DIR=%s", code->dir),
      xasprintf("_HANDLER=%s", code->handler),
      xasprintf("FAASTER_FUNCTION_NAME=%s", code->function_name),
      xasprintf("FAASTER_FUNCTION_VERSION=%s", code->function_version),
      xasprintf("FAASTER_MEMORY_MIB=%lld", (long long)code->memory_mib),
      xasprintf("FAASTER_INSTANCE_ID=%s", code->instance_id),
      xasprintf("FAASTER_INVOCATION_ID=%s", inv->id),
      xasprintf("FAASTER_TIMEOUT_MS=%lld", (long long)inv->timeout_ms),
  };
  size_t base_count = 0;
  while (function_base_env[base_count]) base_count++;
  const env_var **fn = xmalloc(code->env_count * sizeof *fn);
  for (size_t i = 0; i < code->env_count; i++) fn[i] = &code->env[i];
  qsort(fn, code->env_count, sizeof *fn, env_var_cmp);

  char **env = xmalloc((base_count + code->env_count + PLATFORM + 1) * sizeof *env);
  size_t n = 0;
  for (size_t i = 0; i < base_count; i++) {
    const char *b = function_base_env[i];
    size_t keylen = strcspn(b, "=");
    bool overridden = false;
    for (size_t j = 0; j < code->env_count && !overridden; j++)
      overridden = strlen(fn[j]->key) == keylen && strncmp(fn[j]->key, b, keylen) == 0;
    for (size_t j = 0; j < PLATFORM && !overridden; j++) overridden = has_key(platform[j], b, keylen);
    if (!overridden) env[n++] = xstrdup(b);
  }
  for (size_t i = 0; i < code->env_count; i++) {
    const char *key = fn[i]->key;
    bool overridden = i + 1 < code->env_count && strcmp(fn[i + 1]->key, key) == 0;
    for (size_t j = 0; j < PLATFORM && !overridden; j++)
      overridden = has_key(platform[j], key, strlen(key));
    if (!overridden) env[n++] = xasprintf("%s=%s", key, fn[i]->value);
  }
  for (size_t j = 0; j < PLATFORM; j++) env[n++] = platform[j];
  env[n] = NULL;
  free(fn);
  return env;
}

static void free_env(char **env) {
  for (char **e = env; *e; e++) free(*e);
  free(env);
}

/* ---- process ------------------------------------------------------------------------------ */

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* Whether the process has ended, leaving it a zombie: until it is reaped its pid can't be
 * reused, so killing its group stays safe. */
static bool has_exited(pid_t pid) {
  siginfo_t si;
  si.si_pid = 0;
  while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) return true; /* not our child any more: nothing to wait for */
  }
  return si.si_pid != 0;
}

static void kill_all(pid_t pid) {
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL); /* in case it moved itself to another group */
}

typedef enum { KILLED_NONE, KILLED_TIMEOUT, KILLED_STOPPING } killed_by;

typedef struct {
  pid_t pid;
  int in, out, err, pidfd;
  const uint8_t *event;
  size_t event_len, event_off;
  result_t *r;
  uint64_t out_total; /* stdout bytes, also those beyond MAX_BODY that were dropped */
} child_t;

/* One read of an output pipe: whether it read something. At EOF or on an error the pipe is
 * closed. */
static bool drain_once(child_t *c, int *fd, bool is_stdout) {
  char chunk[65536];
  ssize_t n = read(*fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  if (n <= 0) {
    close_fd(fd);
    return false;
  }
  if (is_stdout) {
    /* Kept up to MAX_BODY, counted beyond: a chatty process never blocks on a full pipe. */
    c->out_total += (uint64_t)n;
    size_t room = MAX_BODY - c->r->payload.len;
    buf_append(&c->r->payload, chunk, (size_t)n < room ? (size_t)n : room);
  } else {
    buf_append_tail(&c->r->stderr_tail, chunk, (size_t)n, STDERR_TAIL_MAX);
  }
  return true;
}

/* Feeds and drains until the process exited and the pipes are done: at EOF, after IDLE_US
 * without anything to read or write (a leftover child holds them), or at the drain's end
 * (DRAIN_MAX_US; IDLE_US once the agent stops). Idleness is only concluded from a poll that
 * found nothing ready, so output the process wrote before it exited is always read, however
 * late this thread runs. Kills the process group at the deadline or when the agent stops.
 * Returns what killed it. */
static killed_by supervise(child_t *c, int64_t deadline) {
  killed_by killed = KILLED_NONE;
  bool exited = false;
  int64_t last_progress = 0, drain_end = 0; /* after the exit */
  for (;;) {
    int64_t now = now_us();
    bool stopping = atomic_load(&agent_stopping);
    if (!exited && killed == KILLED_NONE && (stopping || now >= deadline)) {
      kill_all(c->pid);
      killed = stopping ? KILLED_STOPPING : KILLED_TIMEOUT;
    }
    if (exited && stopping && drain_end > now + IDLE_US) {
      kill_all(c->pid); /* leftover writers in the group */
      drain_end = now + IDLE_US;
    }
    if (exited && ((c->in < 0 && c->out < 0 && c->err < 0) || now >= drain_end)) return killed;

    int64_t wait = STOP_CHECK_US;
    if (!exited && killed == KILLED_NONE && deadline - now < wait) wait = deadline - now;
    if (!exited && c->pidfd < 0 && NO_PIDFD_TICK_US < wait) wait = NO_PIDFD_TICK_US;
    if (exited && last_progress + IDLE_US - now < wait) wait = last_progress + IDLE_US - now;
    if (exited && drain_end - now < wait) wait = drain_end - now;
    if (wait < 0) wait = 0;
    struct pollfd p[4];
    int np = 0, iin = -1, iout = -1, ierr = -1, ipid = -1;
    if (c->in >= 0) iin = np, p[np++] = (struct pollfd){.fd = c->in, .events = POLLOUT};
    if (c->out >= 0) iout = np, p[np++] = (struct pollfd){.fd = c->out, .events = POLLIN};
    if (c->err >= 0) ierr = np, p[np++] = (struct pollfd){.fd = c->err, .events = POLLIN};
    if (c->pidfd >= 0) ipid = np, p[np++] = (struct pollfd){.fd = c->pidfd, .events = POLLIN};
    int rc = poll(p, (nfds_t)np, (int)((wait + 999) / 1000));
    if (rc < 0) {
      if (errno == EINTR) continue;
      /* Can't wait for anything any more (out of memory): end the process, take what's read. */
      agent_log("provided: poll: %s", strerror(errno));
      kill_all(c->pid);
      close_fd(&c->in);
      close_fd(&c->out);
      close_fd(&c->err);
      while (!has_exited(c->pid)) usleep(1000);
      return killed;
    }
    if (rc == 0 && exited && now_us() - last_progress >= IDLE_US) return killed;
    bool progress = false;
    if (iin >= 0 && p[iin].revents) progress |= feed_pipe(&c->in, c->event, c->event_len, &c->event_off);
    if (iout >= 0 && p[iout].revents) progress |= drain_once(c, &c->out, true);
    if (ierr >= 0 && p[ierr].revents) progress |= drain_once(c, &c->err, false);
    if (!exited && ((ipid >= 0 && p[ipid].revents) || c->pidfd < 0) && has_exited(c->pid)) {
      exited = true;
      close_fd(&c->pidfd);
      last_progress = now_us();
      drain_end = last_progress + DRAIN_MAX_US > deadline ? last_progress + DRAIN_MAX_US : deadline;
    } else if (exited && progress) {
      last_progress = now_us();
    }
  }
}

/* Go's ProcessState.String(). */
static char *exit_text(int status) {
  char *s;
  if (WIFEXITED(status)) {
    s = xasprintf("exit status %d", WEXITSTATUS(status));
  } else {
    int sig = WTERMSIG(status);
    s = sig < (int)(sizeof go_signal_names / sizeof *go_signal_names) && go_signal_names[sig]
            ? xasprintf("signal: %s", go_signal_names[sig])
            : xasprintf("signal: signal %d", sig);
  }
  if (WCOREDUMP(status)) {
    char *t = xasprintf("%s (core dumped)", s);
    free(s);
    s = t;
  }
  return s;
}

static void start_error(result_t *r, char *message) {
  r->status = STATUS_FUNCTION_ERROR;
  r->error_type = xstrdup("Runtime.StartError");
  r->error_message = message;
}

static void provided_invoke(const code_t *code, const invocation_t *inv, result_t *r) {
  int64_t start = now_us();
  char *path = bootstrap_path(code->dir);
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    char *e = go_strerror(errno);
    start_error(r, xasprintf("pipe2: %s", e));
    free(e);
    int *fds[] = {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]};
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++) close_fd(fds[i]);
    free(path);
    return;
  }
  char **envp = function_env(code, inv);
  pid_t pid;
  char *argv[] = {path, NULL};
  int child_fds[] = {in[0], out[1], err[1]};
  int rc = spawn_in_group(&pid, path, argv, envp, code->dir, child_fds, 3);
  free_env(envp);
  /* The child holds its own copies; ours would keep the pipes from ever reaching EOF. */
  close_fd(&in[0]);
  close_fd(&out[1]);
  close_fd(&err[1]);
  if (rc != 0) {
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&err[0]);
    char *e = go_strerror(rc);
    start_error(r, xasprintf("fork/exec %s: %s", path, e));
    free(e);
    free(path);
    r->duration_us = now_us() - start;
    return;
  }
  free(path);

  child_t c = {.pid = pid, .in = in[1], .out = out[0], .err = err[0], .event = inv->event,
               .event_len = inv->event_len, .r = r};
  c.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (c.pidfd < 0) c.pidfd = -1;
  int fds[] = {c.in, c.out, c.err};
  for (size_t i = 0; i < 3; i++) fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
  killed_by killed = supervise(&c, start + inv->timeout_ms * 1000);
  close_fd(&c.in);
  close_fd(&c.out);
  close_fd(&c.err);
  close_fd(&c.pidfd);
  r->duration_us = now_us() - start;

  /* Whatever the function left running in its group goes with it. */
  kill_all(pid);
  int status = 0;
  pid_t w;
  while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (w < 0) {
    char *e = go_strerror(errno);
    start_error(r, xasprintf("wait: %s", e));
    free(e);
    return;
  }
  r->has_exit_code = true;
  r->exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);

  if (killed == KILLED_TIMEOUT) {
    r->status = STATUS_TIMEOUT;
    r->error_type = xstrdup("Runtime.Timeout");
    r->error_message = xasprintf("task timed out after %lld ms", (long long)inv->timeout_ms);
  } else if (killed == KILLED_STOPPING) {
    r->status = STATUS_FUNCTION_ERROR;
    r->error_type = xstrdup("Runtime.Cancelled");
    r->error_message = xstrdup("invocation cancelled (agent shutting down)");
    buf_free(&r->payload);
  } else if (status != 0) {
    r->status = STATUS_FUNCTION_ERROR;
    r->error_type = xstrdup("Runtime.ExitError");
    char *t = exit_text(status);
    r->error_message = xasprintf("bootstrap %s", t);
    free(t);
  } else if (c.out_total > MAX_BODY) {
    r->status = STATUS_FUNCTION_ERROR;
    r->error_type = xstrdup("Runtime.ResponseTooLarge");
    r->error_message = xasprintf("response of %llu bytes exceeds %d",
                                 (unsigned long long)c.out_total, MAX_BODY);
    buf_free(&r->payload);
  } else {
    r->status = STATUS_OK;
  }
}

static int provided_reseed(char **msg) {
  *msg = NULL;
  return 0; /* a new process per invocation */
}

static void provided_close(void) {}

const runtime_ops provided_runtime = {
    .name = RUNTIME_PROVIDED,
    .ready = provided_ready,
    .load = provided_load,
    .invoke = provided_invoke,
    .reseed = provided_reseed,
    .close = provided_close,
};
