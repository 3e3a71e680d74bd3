/* The python3 runtime (PROTOCOL.md 6.2), as the Go agent's guest/runtime/python.go had it
 * (before commit 2004662): one long-lived
 * helper (bootstrap.py) imports the handler on load and calls it on invoke. A helper that times
 * out or dies is killed and a new one is started, with the code re-imported, in the background.
 *
 * Agent <-> helper pipes: the helper reads requests on its fd 3 and writes replies on its fd 4,
 * each message u32 BE header length | JSON header | u32 BE body length | body.
 *
 * Threads: load, invoke and reseed come from the job thread; a background restart runs in a
 * thread of its own; ready and close may come from any thread. Whoever talks to the helper owns
 * it ("busy") for the whole exchange, so ready() never waits for an invocation, only for the
 * mutex. Each helper also has a drain thread that copies its own stdout/stderr to the console,
 * keeps their tail for crash reports, and reaps the helper when it ends by itself. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define START_TIMEOUT_US (60 * 1000000LL)
#define LOAD_TIMEOUT_US (60 * 1000000LL)
#define RESEED_TIMEOUT_US (5 * 1000000LL)
#define MAX_HELPER_MESSAGE ((uint32_t)MAX_BODY + MAX_META)
/* agent_stopping has no descriptor to poll: waits look at it this often. */
#define STOP_CHECK_MS 100
/* How long a killed helper's last output may take to reach its drain (Go slept 20 ms; here
 * the wait ends at the pipe's EOF, so this only bounds a leftover process holding it). */
#define OUTPUT_GRACE_US 100000

/* ---- the helper's own output: console, tail, reaping ---------------------------------------- */

typedef struct {
  int fd;       /* read end of the helper's stdout/stderr */
  pid_t pid;
  bool eof;     /* the drain read everything */
  bool claimed; /* someone took the job of reaping pid */
  bool reaped;  /* pid is gone: its number (and group) may be reused, never signal it again */
  int refs;     /* the drain thread and the helper */
} drain_t;

static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER; /* guards out_tail and drain_t */
static pthread_cond_t out_cv;                                /* CLOCK_MONOTONIC, see out_init */
static pthread_once_t out_once = PTHREAD_ONCE_INIT;
static buf_t out_tail; /* last STDERR_TAIL_MAX bytes the helpers wrote (Go: p.output) */

static void out_init(void) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_cond_init(&out_cv, &a);
  pthread_condattr_destroy(&a);
}

/* Caller holds out_mu. */
static void drain_unref(drain_t *d) {
  if (--d->refs == 0) free(d);
}

static char *output_tail(void) {
  pthread_mutex_lock(&out_mu);
  char *s = xmalloc(out_tail.len + 1);
  if (out_tail.len) memcpy(s, out_tail.data, out_tail.len);
  s[out_tail.len] = 0;
  pthread_mutex_unlock(&out_mu);
  return s;
}

static void *drain_main(void *arg) {
  drain_t *d = arg;
  char b[4096];
  for (;;) {
    ssize_t n = read(d->fd, b, sizeof b);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) { /* the console: losing it loses nothing else */
      ssize_t w = write(2, b + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      off += w;
    }
    pthread_mutex_lock(&out_mu);
    buf_append_tail(&out_tail, b, (size_t)n, STDERR_TAIL_MAX);
    pthread_mutex_unlock(&out_mu);
  }
  close(d->fd);
  pthread_mutex_lock(&out_mu);
  d->eof = true;
  pthread_cond_broadcast(&out_cv);
  bool reap = !d->claimed;
  d->claimed = true;
  pthread_mutex_unlock(&out_mu);
  if (reap) {
    /* The output ends when the helper does (or closes it): wait for its end without reaping,
     * so that the group kill below can't hit a reused number. */
    siginfo_t si;
    while (waitid(P_PID, (id_t)d->pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
  }
  pthread_mutex_lock(&out_mu);
  if (reap) {
    kill(-d->pid, SIGKILL); /* what the helper left running in its group (Go's drop does it too) */
    while (waitpid(d->pid, NULL, WNOHANG) < 0 && errno == EINTR) {
    }
    d->reaped = true;
  }
  drain_unref(d);
  pthread_mutex_unlock(&out_mu);
  return NULL;
}

/* ---- one helper process --------------------------------------------------------------------- */

typedef struct {
  pid_t pid;
  int wfd, rfd; /* our ends of the helper's fd 3 (requests) and fd 4 (replies), non-blocking */
  drain_t *drain;
  size_t rpos, rlen; /* unread bytes of rbuf: one read often holds a whole reply */
  char rbuf[65536];
} helper_t;

/* Kills the helper's process group unless it is already reaped. Any thread. */
static void helper_signal(helper_t *h) {
  pthread_mutex_lock(&out_mu);
  if (!h->drain->reaped) kill(-h->pid, SIGKILL);
  pthread_mutex_unlock(&out_mu);
}

/* Kills the helper's group, waits (briefly) for its last output and reaps it. Owner only. */
static void helper_kill(helper_t *h) {
  drain_t *d = h->drain;
  close(h->wfd);
  close(h->rfd);
  pthread_mutex_lock(&out_mu);
  if (!d->reaped) kill(-h->pid, SIGKILL);
  bool reap = !d->claimed;
  d->claimed = true;
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += OUTPUT_GRACE_US * 1000;
  until.tv_sec += until.tv_nsec / 1000000000;
  until.tv_nsec %= 1000000000;
  while (!d->eof && pthread_cond_timedwait(&out_cv, &out_mu, &until) != ETIMEDOUT) {
  }
  pthread_mutex_unlock(&out_mu);
  if (reap) /* killed above: the wait is short */
    while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR) {
    }
  pthread_mutex_lock(&out_mu);
  if (reap) d->reaped = true;
  drain_unref(d);
  pthread_mutex_unlock(&out_mu);
  free(h);
}

typedef enum { IO_OK, IO_TIMEOUT, IO_STOPPED, IO_FAILED } io_status;

/* Waits until fd is ready for events, the deadline passes or the agent stops. */
static io_status wait_fd(int fd, short events, int64_t deadline, char *err, size_t errlen) {
  for (;;) {
    if (atomic_load(&agent_stopping)) {
      snprintf(err, errlen, "agent shutting down");
      return IO_STOPPED;
    }
    int64_t left = deadline - now_us();
    if (left <= 0) {
      snprintf(err, errlen, "i/o timeout");
      return IO_TIMEOUT;
    }
    int ms = left > STOP_CHECK_MS * 1000LL ? STOP_CHECK_MS : (int)((left + 999) / 1000);
    struct pollfd p = {.fd = fd, .events = events};
    int n = poll(&p, 1, ms);
    if (n > 0) return IO_OK; /* ready, hung up or failed: the read or write says which */
    if (n < 0 && errno != EINTR) {
      snprintf(err, errlen, "poll: %s", strerror(errno));
      return IO_FAILED;
    }
  }
}

static io_status write_all(int fd, const void *p, size_t n, int64_t deadline, char *err,
                           size_t errlen) {
  const char *s = p;
  while (n) {
    /* A helper gone makes this EPIPE, not a signal: the agent ignores SIGPIPE (main.c). */
    ssize_t w = write(fd, s, n);
    if (w > 0) {
      s += w;
      n -= (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN) {
      snprintf(err, errlen, "write: %s", strerror(errno));
      return IO_FAILED;
    }
    io_status st = wait_fd(fd, POLLOUT, deadline, err, errlen);
    if (st != IO_OK) return st;
  }
  return IO_OK;
}

static io_status read_exact(helper_t *h, void *dst, size_t n, int64_t deadline, char *err,
                            size_t errlen) {
  char *p = dst;
  size_t got = 0;
  while (got < n) {
    if (h->rpos < h->rlen) {
      size_t k = h->rlen - h->rpos < n - got ? h->rlen - h->rpos : n - got;
      memcpy(p + got, h->rbuf + h->rpos, k);
      h->rpos += k;
      got += k;
      continue;
    }
    bool direct = n - got >= sizeof h->rbuf; /* a large body skips the copy */
    ssize_t r = direct ? read(h->rfd, p + got, n - got) : read(h->rfd, h->rbuf, sizeof h->rbuf);
    if (r > 0) {
      if (direct) {
        got += (size_t)r;
      } else {
        h->rpos = 0;
        h->rlen = (size_t)r;
      }
      continue;
    }
    if (r == 0) {
      snprintf(err, errlen, got ? "unexpected EOF" : "EOF"); /* as Go's io.ReadFull */
      return IO_FAILED;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      snprintf(err, errlen, "read: %s", strerror(errno));
      return IO_FAILED;
    }
    io_status st = wait_fd(h->rfd, POLLIN, deadline, err, errlen);
    if (st != IO_OK) return st;
  }
  return IO_OK;
}

/* One length-prefixed block into b (NUL-terminated). */
static io_status read_block(helper_t *h, buf_t *b, int64_t deadline, char *err, size_t errlen) {
  uint8_t n[4];
  io_status st = read_exact(h, n, 4, deadline, err, errlen);
  if (st != IO_OK) return st;
  uint32_t size = (uint32_t)n[0] << 24 | (uint32_t)n[1] << 16 | (uint32_t)n[2] << 8 | n[3];
  if (size > MAX_HELPER_MESSAGE) {
    snprintf(err, errlen, "helper message of %u bytes", size);
    return IO_FAILED;
  }
  buf_free(b);
  b->data = xmalloc((size_t)size + 1);
  b->cap = (size_t)size + 1;
  st = read_exact(h, b->data, size, deadline, err, errlen);
  b->len = st == IO_OK ? size : 0;
  b->data[b->len] = 0;
  return st;
}

/* One message: its header (a JSON object) in *hdr, its body in body. */
static io_status read_msg(helper_t *h, int64_t deadline, json **hdr, buf_t *body, char *err,
                          size_t errlen) {
  buf_t hb = {0};
  io_status st = read_block(h, &hb, deadline, err, errlen);
  if (st == IO_OK) st = read_block(h, body, deadline, err, errlen);
  if (st == IO_OK) {
    char jerr[200];
    *hdr = json_parse(hb.data, hb.len, jerr, sizeof jerr);
    if (*hdr && (*hdr)->type != JSON_OBJECT) {
      json_free(*hdr);
      *hdr = NULL;
      snprintf(jerr, sizeof jerr, "not an object");
    }
    if (!*hdr) {
      snprintf(err, errlen, "helper header: %s", jerr);
      st = IO_FAILED;
    }
  }
  buf_free(&hb);
  return st;
}

static void put_be32(buf_t *b, uint32_t v) {
  uint8_t n[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  buf_append(b, n, 4);
}

/* Sends one request and reads its reply until deadline (or the agent stops). On IO_OK the
 * caller frees *rep and body; otherwise err says what went wrong. */
static io_status call(helper_t *h, const char *hdr, const void *body, size_t body_len,
                      int64_t deadline, json **rep, buf_t *rbody, char *err, size_t errlen) {
  buf_t m = {0};
  size_t hlen = strlen(hdr);
  put_be32(&m, (uint32_t)hlen);
  buf_append(&m, hdr, hlen);
  put_be32(&m, (uint32_t)body_len);
  io_status st = write_all(h->wfd, m.data, m.len, deadline, err, errlen);
  buf_free(&m);
  if (st == IO_OK && body_len) st = write_all(h->wfd, body, body_len, deadline, err, errlen);
  if (st == IO_OK) st = read_msg(h, deadline, rep, rbody, err, errlen);
  if (st != IO_OK) buf_free(rbody);
  return st;
}

/* A string member of a reply, "" when absent or not a string (Go: str). */
static const char *str(const json *obj, const char *key) {
  const json *v = json_get(obj, key);
  return v && v->type == JSON_STRING ? v->string : "";
}

static const char *or_empty(const char *s) { return s ? s : ""; }

static int spawn_process(pid_t *pid, const char *interpreter, const char *script, int req,
                         int rep, int out) {
  /* -B: a function's code is read in place from a read-only share; trying to write its
   * bytecode there costs a refused file-system round trip per module, for nothing. */
  char *argv[] = {(char *)interpreter, "-I", "-S", "-u", "-B", (char *)script, NULL};
  int fds[] = {-1, out, out, req, rep};
  return spawn_in_group(pid, interpreter, argv, (char *const *)function_base_env, "/", fds, 5);
}

/* Starts a helper and waits for its ready message. NULL with *err (malloc'd) on failure. */
static helper_t *spawn(const char *interpreter, const char *script, char **err) {
  pthread_once(&out_once, out_init);
  int64_t start = now_us();
  int req[2] = {-1, -1}, rep[2] = {-1, -1}, out[2] = {-1, -1};
  if (pipe2(req, O_CLOEXEC) || pipe2(rep, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
    *err = xasprintf("start python helper: pipe: %s", strerror(errno));
    int fds[] = {req[0], req[1], rep[0], rep[1], out[0], out[1]};
    for (size_t i = 0; i < 6; i++)
      if (fds[i] >= 0) close(fds[i]);
    return NULL;
  }
  pid_t pid;
  int rc = spawn_process(&pid, interpreter, script, req[0], rep[1], out[1]);
  close(req[0]);
  close(rep[1]);
  close(out[1]);
  if (rc) {
    close(req[1]);
    close(rep[0]);
    close(out[0]);
    *err = xasprintf("start python helper: %s", strerror(rc));
    return NULL;
  }
  /* Only our ends: the helper's are other open file descriptions and stay blocking. */
  fcntl(req[1], F_SETFL, O_NONBLOCK);
  fcntl(rep[0], F_SETFL, O_NONBLOCK);

  helper_t *h = xmalloc(sizeof *h);
  *h = (helper_t){.pid = pid, .wfd = req[1], .rfd = rep[0]};
  h->drain = xmalloc(sizeof *h->drain);
  *h->drain = (drain_t){.fd = out[0], .pid = pid, .refs = 2};
  pthread_t t;
  pthread_attr_t ta;
  pthread_attr_init(&ta);
  pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
  rc = pthread_create(&t, &ta, drain_main, h->drain);
  pthread_attr_destroy(&ta);
  if (rc) {
    /* No drain: nobody else reads the output or reaps, so do both here. */
    close(out[0]);
    h->drain->refs = 1;
    h->drain->eof = true;
    helper_kill(h);
    *err = xasprintf("start python helper: thread: %s", strerror(rc));
    return NULL;
  }

  json *hdr = NULL;
  buf_t body = {0};
  char e[256];
  io_status st = read_msg(h, start + START_TIMEOUT_US, &hdr, &body, e, sizeof e);
  buf_free(&body);
  if (st == IO_OK && strcmp(str(hdr, "op"), "ready") != 0) {
    snprintf(e, sizeof e, "first message is not ready (op \"%s\")", str(hdr, "op"));
    st = IO_FAILED;
  }
  if (st != IO_OK) {
    json_free(hdr);
    helper_kill(h);
    char *tail = output_tail();
    *err = xasprintf("python helper did not get ready: %s; output: %s", e, tail);
    free(tail);
    return NULL;
  }
  agent_log("python helper pid %d ready in %lld ms (python %s)", (int)pid,
            (long long)((now_us() - start) / 1000), str(hdr, "python"));
  json_free(hdr);
  return h;
}

/* ---- the runtime ------------------------------------------------------------------------------ */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t owner_cv = PTHREAD_COND_INITIALIZER;
/* Guarded by mu; the helper is used (and replaced) by its owner only. */
static helper_t *helper;      /* NULL when none is up */
static bool busy;             /* a thread owns the helper */
static bool restart_pending;  /* a restart thread was started and has not owned it yet */
static bool closed;           /* close() ran: no background restart (until start or load) */
/* Owner only. */
static char *interpreter, *script;
static char *load_req;        /* header of the last successful load; NULL = no code (Go: code) */
static char *load_handler;

/* Waits until the helper is free and takes it. A job waits for a pending restart too, as it
 * waits for the restart to finish: the next invoke or load needs the new helper. */
static void acquire(bool restarter) {
  pthread_mutex_lock(&mu);
  while (busy || (!restarter && restart_pending)) pthread_cond_wait(&owner_cv, &mu);
  busy = true;
  if (restarter) restart_pending = false;
  pthread_mutex_unlock(&mu);
}

static void release(void) {
  helper_t *h = NULL;
  pthread_mutex_lock(&mu);
  if (closed && helper) { /* close() ran while we owned it */
    h = helper;
    helper = NULL;
  }
  busy = false;
  pthread_cond_broadcast(&owner_cv);
  pthread_mutex_unlock(&mu);
  if (h) helper_kill(h);
}

static void *restart_main(void *arg);

/* Kills the helper after a failure and, with restart, has a new one started (and the loaded
 * code re-imported) in the background. Owner only. */
static void drop(const char *reason, bool restart) {
  helper_t *h = helper;
  if (!h) return;
  agent_log("python helper: %s; killed", reason);
  pthread_mutex_lock(&mu);
  helper = NULL;
  restart = restart && !closed && !atomic_load(&agent_stopping);
  if (restart) restart_pending = true;
  pthread_mutex_unlock(&mu);
  helper_kill(h);
  if (!restart) return;
  pthread_t t;
  pthread_attr_t ta;
  pthread_attr_init(&ta);
  pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&t, &ta, restart_main, NULL);
  pthread_attr_destroy(&ta);
  if (rc) { /* the next invoke starts the helper itself */
    agent_log("python helper restart: thread: %s", strerror(rc));
    pthread_mutex_lock(&mu);
    restart_pending = false;
    pthread_cond_broadcast(&owner_cv);
    pthread_mutex_unlock(&mu);
  }
}

/* Sends a load request to the helper. Owner only. */
static load_status load_call(const char *req, const char *handler, bool restart_on_failure,
                             char **msg, char **detail) {
  json *rep = NULL;
  buf_t body = {0};
  char e[256];
  io_status st = call(helper, req, NULL, 0, now_us() + LOAD_TIMEOUT_US, &rep, &body, e, sizeof e);
  buf_free(&body);
  if (st != IO_OK) {
    char *reason = xasprintf("load: %s", e);
    drop(reason, restart_on_failure);
    free(reason);
    *msg = xasprintf("python helper failed while importing %s: %s", handler, e);
    *detail = output_tail();
    return LOAD_FAILED;
  }
  load_status ls = LOAD_OK;
  if (strcmp(str(rep, "status"), "ok") != 0) {
    *msg = xasprintf("%s: %s", str(rep, "errorType"), str(rep, "errorMessage"));
    *detail = xstrdup(str(rep, "trace"));
    ls = LOAD_FAILED;
  }
  json_free(rep);
  return ls;
}

/* Starts the helper if none runs and, with reload, re-imports the loaded code into the new one.
 * 0, or -1 with *err (malloc'd). Owner only. */
static int ensure(bool reload, char **err) {
  if (helper) return 0;
  if (!interpreter) {
    *err = xstrdup("python3 runtime not started");
    return -1;
  }
  helper_t *h = spawn(interpreter, script, err);
  if (!h) return -1;
  pthread_mutex_lock(&mu);
  helper = h;
  pthread_mutex_unlock(&mu);
  if (reload && load_req) {
    char *detail = NULL;
    if (load_call(load_req, load_handler, false, err, &detail) != LOAD_OK) {
      agent_log("python: re-importing %s after restart: %s", load_handler, *err);
      free(detail);
      return -1;
    }
  }
  return 0;
}

static void *restart_main(void *arg) {
  (void)arg;
  acquire(true);
  pthread_mutex_lock(&mu);
  bool skip = closed;
  pthread_mutex_unlock(&mu);
  char *err = NULL;
  if (!skip && !atomic_load(&agent_stopping) && ensure(true, &err) != 0) {
    agent_log("python helper restart: %s", err);
    free(err);
  }
  release();
  return NULL;
}

int python_start(const char *interp, const char *scr) {
  acquire(false);
  free(interpreter);
  free(script);
  interpreter = xstrdup(interp);
  script = xstrdup(scr);
  pthread_mutex_lock(&mu);
  closed = false;
  pthread_mutex_unlock(&mu);
  char *err = NULL;
  int rc = ensure(false, &err);
  release();
  if (rc) {
    agent_log("python3 runtime: %s", err);
    free(err);
  }
  return rc;
}

static bool py_ready(void) {
  pthread_mutex_lock(&mu);
  bool up = helper != NULL;
  pthread_mutex_unlock(&mu);
  return up;
}

static load_status py_load(const code_t *code, char **msg, char **detail) {
  acquire(false);
  pthread_mutex_lock(&mu);
  closed = false;
  pthread_mutex_unlock(&mu);
  if (ensure(false, msg) != 0) {
    *detail = NULL;
    release();
    return LOAD_UNAVAILABLE;
  }
  buf_t req = {0};
  json_writer w;
  jw_begin(&w, &req);
  jw_string(&w, "op", "load");
  jw_string(&w, "codeDir", or_empty(code->dir));
  jw_string(&w, "handler", or_empty(code->handler));
  jw_object(&w, "env");
  for (size_t i = 0; i < code->env_count; i++) jw_string(&w, code->env[i].key, code->env[i].value);
  jw_end(&w);
  jw_end(&w);
  load_status st = load_call(req.data, or_empty(code->handler), true, msg, detail);
  /* A failed import leaves no code: the helper forgot the previous handler when it started. */
  free(load_req);
  free(load_handler);
  load_req = load_handler = NULL;
  if (st == LOAD_OK) {
    load_req = buf_steal(&req);
    load_handler = xstrdup(or_empty(code->handler));
  }
  buf_free(&req);
  release();
  return st;
}

static void set_error(result_t *r, const char *status, const char *type, char *message) {
  r->status = status;
  free(r->error_type);
  free(r->error_message);
  r->error_type = xstrdup(type);
  r->error_message = message;
}

static void py_invoke(const code_t *code, const invocation_t *inv, result_t *r) {
  acquire(false);
  int64_t start = now_us();
  if (!load_req) {
    set_error(r, STATUS_FUNCTION_ERROR, "Runtime.NoCode", xstrdup("no code loaded"));
    release();
    return;
  }
  char *err = NULL;
  if (ensure(true, &err) != 0) {
    set_error(r, STATUS_FUNCTION_ERROR, "Runtime.Unavailable", err);
    r->duration_us = now_us() - start;
    release();
    return;
  }
  buf_t req = {0};
  json_writer w;
  jw_begin(&w, &req);
  jw_string(&w, "op", "invoke");
  jw_string(&w, "invocationId", or_empty(inv->id));
  jw_int(&w, "timeoutMs", inv->timeout_ms);
  jw_string(&w, "functionName", or_empty(code->function_name));
  jw_string(&w, "functionVersion", or_empty(code->function_version));
  jw_int(&w, "memoryMiB", code->memory_mib);
  jw_string(&w, "instanceId", or_empty(code->instance_id));
  jw_end(&w);
  json *rep = NULL;
  buf_t body = {0};
  char e[256];
  io_status st = call(helper, req.data, inv->event, inv->event_len, start + inv->timeout_ms * 1000,
                      &rep, &body, e, sizeof e);
  buf_free(&req);
  r->duration_us = now_us() - start;
  if (st != IO_OK) {
    bool stopping = atomic_load(&agent_stopping);
    bool exited = false;
    if (st == IO_TIMEOUT && !stopping) {
      set_error(r, STATUS_TIMEOUT, "Runtime.Timeout",
                xasprintf("task timed out after %lld ms", (long long)inv->timeout_ms));
    } else if (stopping) {
      set_error(r, STATUS_FUNCTION_ERROR, "Runtime.Cancelled",
                xstrdup("invocation cancelled (agent shutting down)"));
    } else {
      set_error(r, STATUS_FUNCTION_ERROR, "Runtime.ExitError",
                xasprintf("python runtime exited during the invocation: %s", e));
      exited = true;
    }
    drop(r->error_type, true);
    if (exited) { /* after the drop: it waited for the dying helper's last output */
      char *tail = output_tail();
      buf_reset(&r->stderr_tail);
      buf_puts(&r->stderr_tail, tail);
      free(tail);
    }
    release();
    return;
  }
  const json *log_tail = json_get(rep, "logTail");
  buf_reset(&r->stderr_tail);
  if (log_tail && log_tail->type == JSON_STRING)
    buf_append(&r->stderr_tail, log_tail->string, log_tail->string_len);
  if (strcmp(str(rep, "status"), "ok") == 0) {
    r->status = STATUS_OK;
    buf_free(&r->payload);
    r->payload = body; /* handed over, not copied: up to 6 MiB */
  } else {
    set_error(r, STATUS_FUNCTION_ERROR, str(rep, "errorType"), xstrdup(str(rep, "errorMessage")));
    free(r->trace);
    r->trace = xstrdup(str(rep, "trace"));
    buf_free(&body);
  }
  json_free(rep);
  release();
}

static int py_reseed(char **msg) {
  acquire(false);
  if (!helper) { /* a helper started later seeds itself from the kernel */
    release();
    return 0;
  }
  json *rep = NULL;
  buf_t body = {0};
  char e[256];
  io_status st = call(helper, "{\"op\":\"reseed\"}", NULL, 0, now_us() + RESEED_TIMEOUT_US, &rep,
                      &body, e, sizeof e);
  buf_free(&body);
  int rc = 0;
  if (st != IO_OK) {
    char *reason = xasprintf("reseed: %s", e);
    drop(reason, true);
    free(reason);
    *msg = xstrdup(e);
    rc = -1;
  } else if (strcmp(str(rep, "status"), "ok") != 0) {
    *msg = xasprintf("python reseed: %s", str(rep, "errorMessage"));
    rc = -1;
  }
  json_free(rep);
  release();
  return rc;
}

/* Kills the helper. From any thread: a helper in use is killed at once and given up by its
 * owner (which then sees the pipes fail); no restart follows. */
static void py_close(void) {
  helper_t *h = NULL;
  pthread_mutex_lock(&mu);
  closed = true;
  if (helper && busy) {
    helper_signal(helper);
  } else if (helper) {
    h = helper;
    helper = NULL;
  }
  pthread_mutex_unlock(&mu);
  if (h) helper_kill(h);
}

const runtime_ops python_runtime = {
    .name = RUNTIME_PYTHON3,
    .ready = py_ready,
    .load = py_load,
    .invoke = py_invoke,
    .reseed = py_reseed,
    .close = py_close,
};
