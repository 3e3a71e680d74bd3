/* What the agent does with each frame: READY and PING at once, SET_IDENTITY, LOAD_CODE and
 * INVOKE one at a time on the job thread, every malformed frame an ERROR (PROTOCOL.md 3-5). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "frame.h"
#include "load.h"
#include "server.h"

typedef struct {
  const runtime_ops *rt;
  code_t code;
  bool owned; /* the agent unpacked dir and removes it when the code is replaced */
} loaded_code;

typedef enum { JOB_NONE, JOB_IDENTITY, JOB_LOAD, JOB_INVOKE } job_kind;

typedef struct {
  job_kind kind;
  frame_t frame;        /* owns meta and body */
  int64_t received_us;  /* when the frame was read (jobStart) */
  identity_request identity;
  load_request load;
  const runtime_ops *rt;
  int64_t timeout_ms;
  const char *invocation_id;
  json *meta;
} job_t;

static server_config config;
static const runtime_ops *runtimes[2];
static size_t runtime_count;
static const runtime_ops *image_runtime; /* the one READY reports on */
static int64_t started_us;

/* Guards everything below; the job thread and the reader share it. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_posted = PTHREAD_COND_INITIALIZER;
static pthread_cond_t job_done; /* CLOCK_MONOTONIC: SET_IDENTITY may set the wall clock */
static char *instance_id;     /* "" until SET_IDENTITY */
static loaded_code *loaded;   /* NULL: no code */
static bool busy;
static uint64_t connections;
static job_t pending;         /* posted to the job thread when kind != JOB_NONE */

static const runtime_ops *find_runtime(const char *name) {
  for (size_t i = 0; i < runtime_count; i++)
    if (strcmp(runtimes[i]->name, name) == 0) return runtimes[i];
  return NULL;
}

/* ---- status ------------------------------------------------------------------------------- */

static void status_meta(buf_t *meta) {
  bool ready = image_runtime->ready();
  json_writer w;
  pthread_mutex_lock(&mu);
  jw_begin(&w, meta);
  jw_int(&w, "protocol", 1);
  jw_string(&w, "agent", AGENT_VERSION);
  jw_string(&w, "runtime", config.runtime);
  jw_bool(&w, "runtimeReady", ready);
  jw_string(&w, "instanceId", instance_id);
  jw_bool(&w, "codeLoaded", loaded != NULL);
  jw_bool(&w, "busy", busy);
  jw_int(&w, "uptimeMs", (now_us() - started_us) / 1000);
  jw_int(&w, "connections", (int64_t)connections);
  jw_end(&w);
  pthread_mutex_unlock(&mu);
}

/* Only the reader thread sends status. Its buffer is kept, so a restored clone's first answer
 * allocates nothing (every first-time path costs translation under TCG). */
static buf_t status_buf;

static void send_status(uint8_t type, uint64_t id) {
  buf_reset(&status_buf);
  status_meta(&status_buf);
  send_frame(type, id, status_buf.data, status_buf.len, NULL, 0);
}

/* ---- code --------------------------------------------------------------------------------- */

static void free_code(code_t *c) {
  free(c->dir);
  free(c->handler);
  for (size_t i = 0; i < c->env_count; i++) free(c->env[i].key), free(c->env[i].value);
  free(c->env);
  free(c->function_name);
  free(c->function_version);
  free(c->instance_id);
  memset(c, 0, sizeof *c);
}

static void forget_code(loaded_code *l) {
  if (!l) return;
  if (l->owned) remove_tree(l->code.dir);
  free_code(&l->code);
  free(l);
}

/* ---- jobs --------------------------------------------------------------------------------- */

/* A job's reply goes out after the agent is idle again, so the host may send its next job as
 * soon as it has read the reply (PROTOCOL.md 3.1). */
static void set_idle(void) {
  pthread_mutex_lock(&mu);
  busy = false;
  pthread_mutex_unlock(&mu);
}

static void job_error(uint64_t id, const char *code, const char *message, const char *detail) {
  set_idle();
  send_error(id, code, message, detail);
}

static void run_identity(job_t *j, int64_t began) {
  char err[512];
  if (!identity_validate(&j->identity, j->frame.body_len, err, sizeof err)) {
    job_error(j->frame.id, E_INVALID_REQUEST, err, NULL);
    return;
  }
  buf_t meta = {0};
  json_writer w;
  jw_begin(&w, &meta);
  bool ok = identity_apply(&j->identity, j->frame.body, j->frame.body_len, config.real_guest,
                           began - j->received_us, &w, err, sizeof err);
  jw_end(&w);
  if (!ok) {
    char *detail = xasprintf("applied so far: %s", meta.data);
    job_error(j->frame.id, E_IDENTITY_FAILED, err, detail);
    free(detail);
    buf_free(&meta);
    return;
  }
  pthread_mutex_lock(&mu);
  free(instance_id);
  instance_id = xstrdup(j->identity.instance_id);
  busy = false;
  pthread_mutex_unlock(&mu);
  agent_log("identity: instance %s host %s", j->identity.instance_id, j->identity.hostname);
  send_frame(T_IDENTITY_SET, j->frame.id, meta.data, meta.len, NULL, 0);
  buf_free(&meta);
}

static void run_load(job_t *j, int64_t began) {
  const load_request *req = &j->load;
  pthread_mutex_lock(&mu);
  loaded_code *prev = loaded;
  loaded = NULL; /* a failed LOAD_CODE leaves no code loaded */
  char *inst = xstrdup(instance_id);
  pthread_mutex_unlock(&mu);
  forget_code(prev);
  int64_t forgot = now_us();

  load_result lr;
  char *msg = NULL;
  const char *code = load_package(req, j->frame.body, j->frame.body_len, &config, inst, &lr, &msg);
  if (code) {
    job_error(j->frame.id, code, msg, NULL);
    free(msg);
    free(inst);
    return;
  }
  int64_t unpacked = now_us();
  loaded_code *l = xmalloc(sizeof *l);
  memset(l, 0, sizeof *l);
  l->rt = j->rt;
  l->owned = lr.owned;
  l->code.dir = lr.dir;
  l->code.handler = xstrdup(req->handler ? req->handler : "");
  l->code.env = req->env;
  l->code.env_count = req->env_count;
  j->load.env = NULL, j->load.env_count = 0; /* now owned by l */
  l->code.function_name = xstrdup(req->function_name ? req->function_name : "");
  l->code.function_version = xstrdup(req->function_version ? req->function_version : "");
  l->code.instance_id = inst;
  l->code.memory_mib = req->memory_mib;
  char *detail = NULL;
  load_status st = l->rt->load(&l->code, &msg, &detail);
  int64_t taken = now_us();
  if (st != LOAD_OK) {
    forget_code(l);
    job_error(j->frame.id, st == LOAD_FAILED ? E_CODE_LOAD_FAILED : E_RUNTIME_UNAVAILABLE,
              msg ? msg : "runtime failed", detail);
    free(msg);
    free(detail);
    return;
  }
  buf_t meta = {0};
  json_writer w;
  jw_begin(&w, &meta);
  jw_string(&w, "runtime", req->runtime);
  if (req->handler && req->handler[0]) jw_string(&w, "handler", req->handler);
  jw_string(&w, "codeDir", l->code.dir);
  jw_int(&w, "files", lr.files);
  jw_int(&w, "bytes", lr.bytes);
  jw_double(&w, "loadMs", (double)(now_us() - began) / 1000.0);
  jw_object(&w, "stepsMicros");
  jw_int(&w, "jobStart", began - j->received_us);
  jw_int(&w, "forget", forgot - began);
  jw_int(&w, "unpack", unpacked - forgot);
  jw_int(&w, "runtime", taken - unpacked);
  jw_end(&w);
  jw_end(&w);
  pthread_mutex_lock(&mu);
  loaded = l;
  busy = false;
  pthread_mutex_unlock(&mu);
  send_frame(T_CODE_LOADED, j->frame.id, meta.data, meta.len, NULL, 0);
  buf_free(&meta);
}

void result_free(result_t *r) {
  buf_free(&r->payload);
  buf_free(&r->stderr_tail);
  free(r->error_type);
  free(r->error_message);
  free(r->trace);
  memset(r, 0, sizeof *r);
}

/* RESULT meta, the text fields clipped (halved again until it fits a frame's meta). */
static void result_meta(const result_t *r, buf_t *meta) {
  for (size_t div = 1;; div *= 2) {
    json_writer w;
    buf_reset(meta);
    jw_begin(&w, meta);
    jw_string(&w, "status", r->status);
    jw_double(&w, "durationMs", (double)r->duration_us / 1000.0);
    const char *heads[2] = {r->error_type, r->error_message};
    const char *names[2] = {"errorType", "errorMessage"};
    size_t max[2] = {MAX_ERROR_TYPE / div, MAX_ERROR_MESSAGE / div};
    for (int i = 0; i < 2; i++) {
      if (!heads[i] || !heads[i][0]) continue;
      size_t n = strlen(heads[i]);
      jw_string_n(&w, names[i], heads[i], utf8_clip_head(heads[i], n > max[i] ? max[i] : n));
    }
    if (r->trace && r->trace[0]) {
      size_t n = strlen(r->trace), s = utf8_clip_tail_start(r->trace, n, MAX_TRACE / div);
      jw_string_n(&w, "trace", r->trace + s, n - s);
    }
    if (r->stderr_tail.len) {
      size_t s = utf8_clip_tail_start(r->stderr_tail.data, r->stderr_tail.len, STDERR_TAIL_MAX / div);
      jw_string_n(&w, "stderrTail", r->stderr_tail.data + s, r->stderr_tail.len - s);
    }
    if (r->has_exit_code) jw_int(&w, "exitCode", r->exit_code);
    jw_end(&w);
    if (meta->len <= MAX_META || div >= 64) return;
  }
}

static void run_invoke(job_t *j) {
  pthread_mutex_lock(&mu);
  loaded_code *l = loaded;
  pthread_mutex_unlock(&mu);
  if (!l) { /* post_job checked; a job in between would have made this INVOKE busy */
    job_error(j->frame.id, E_NO_CODE, "no code loaded: send LOAD_CODE first", NULL);
    return;
  }
  result_t r;
  memset(&r, 0, sizeof r);
  invocation_t inv = {j->invocation_id ? j->invocation_id : "", j->frame.body, j->frame.body_len,
                      j->timeout_ms};
  /* l stays valid: only jobs replace the code, and this is the only job running. */
  l->rt->invoke(&l->code, &inv, &r);
  if (!r.status) r.status = STATUS_FUNCTION_ERROR;
  buf_t meta = {0};
  result_meta(&r, &meta);
  pthread_mutex_lock(&mu);
  busy = false;
  pthread_mutex_unlock(&mu);
  size_t body_len = r.payload.len > MAX_BODY ? 0 : r.payload.len;
  send_frame(T_RESULT, j->frame.id, meta.data, meta.len, r.payload.data, body_len);
  buf_free(&meta);
  result_free(&r);
}

static void release_job(job_t *j) {
  load_request_free(&j->load);
  json_free(j->meta);
  frame_free(&j->frame);
  memset(j, 0, sizeof *j);
}

/* The job thread exists from start-up on, so a restored clone runs a job without creating a
 * thread (under TCG, guest code run for the first time is paid for in translation). */
static void *job_thread(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (pending.kind == JOB_NONE) pthread_cond_wait(&job_posted, &mu);
    job_t j = pending;
    memset(&pending, 0, sizeof pending);
    pthread_mutex_unlock(&mu);
    int64_t began = now_us();
    switch (j.kind) {
      case JOB_IDENTITY: run_identity(&j, began); break;
      case JOB_LOAD: run_load(&j, began); break;
      case JOB_INVOKE: run_invoke(&j); break;
      case JOB_NONE: break;
    }
    release_job(&j);
    pthread_mutex_lock(&mu);
    pthread_cond_broadcast(&job_done);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

static const char *type_name(uint8_t t) {
  switch (t) {
    case T_READY: return "READY";
    case T_PING: return "PING";
    case T_SET_IDENTITY: return "SET_IDENTITY";
    case T_LOAD_CODE: return "LOAD_CODE";
    case T_INVOKE: return "INVOKE";
    case T_SHUTDOWN: return "SHUTDOWN";
    case T_READY_REPLY: return "READY(reply)";
    case T_PONG: return "PONG";
    case T_IDENTITY_SET: return "IDENTITY_SET";
    case T_CODE_LOADED: return "CODE_LOADED";
    case T_RESULT: return "RESULT";
    case T_SHUTDOWN_ACK: return "SHUTDOWN_ACK";
    default: return "ERROR";
  }
}

/* Posts j unless a job runs (then ERROR busy); takes ownership of j either way. */
static void post_job(job_t *j) {
  pthread_mutex_lock(&mu);
  if (busy) {
    pthread_mutex_unlock(&mu);
    char msg[96];
    snprintf(msg, sizeof msg, "another request is running; %s refused", type_name(j->frame.type));
    send_error(j->frame.id, E_BUSY, msg, NULL);
    release_job(j);
    return;
  }
  if (j->kind == JOB_INVOKE && !loaded) { /* checked with the post, under one lock */
    pthread_mutex_unlock(&mu);
    send_error(j->frame.id, E_NO_CODE, "no code loaded: send LOAD_CODE first", NULL);
    release_job(j);
    return;
  }
  busy = true;
  pending = *j;
  pthread_cond_signal(&job_posted);
  pthread_mutex_unlock(&mu);
}

/* ---- requests ----------------------------------------------------------------------------- */

/* The meta as a JSON object ({} when empty or null); NULL after answering bad_meta. */
static json *request_meta(const frame_t *f) {
  char err[160];
  if (f->meta_len == 0) return json_parse("{}", 2, NULL, 0);
  json *v = json_parse(f->meta, f->meta_len, err, sizeof err);
  if (v && v->type == JSON_NULL) {
    json_free(v);
    return json_parse("{}", 2, NULL, 0);
  }
  if (!v || v->type != JSON_OBJECT) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s meta: %s", type_name(f->type), v ? "not a JSON object" : err);
    send_error(f->id, E_BAD_META, msg, NULL);
    json_free(v);
    return NULL;
  }
  return v;
}

static void bad_meta(const frame_t *f, const char *why) {
  char msg[1200];
  snprintf(msg, sizeof msg, "%s meta: %s", type_name(f->type), why);
  send_error(f->id, E_BAD_META, msg, NULL);
}

static void handle_identity(job_t *j) {
  char err[160];
  if (!identity_parse(j->meta, &j->identity, err, sizeof err)) {
    bad_meta(&j->frame, err);
    release_job(j);
    return;
  }
  j->kind = JOB_IDENTITY;
  post_job(j);
}

static void handle_load(job_t *j) {
  char err[1024];
  if (!load_request_parse(j->meta, &j->load, err, sizeof err)) {
    bad_meta(&j->frame, err);
    release_job(j);
    return;
  }
  j->rt = find_runtime(j->load.runtime ? j->load.runtime : "");
  if (!j->rt) {
    snprintf(err, sizeof err, "runtime \"%s\" is not in this image (image runtime %s)",
             j->load.runtime ? j->load.runtime : "", config.runtime);
    send_error(j->frame.id, E_RUNTIME_UNAVAILABLE, err, NULL);
    release_job(j);
    return;
  }
  if (!load_request_validate(&j->load, j->frame.body_len, err, sizeof err)) {
    send_error(j->frame.id, E_INVALID_REQUEST, err, NULL);
    release_job(j);
    return;
  }
  j->kind = JOB_LOAD;
  post_job(j);
}

static void handle_invoke(job_t *j) {
  char err[160];
  int64_t timeout = 0;
  if (!json_opt_int(j->meta, "timeoutMs", &timeout, err, sizeof err) ||
      !json_opt_string(j->meta, "invocationId", &j->invocation_id, err, sizeof err)) {
    bad_meta(&j->frame, err);
    release_job(j);
    return;
  }
  if (timeout < 0 || timeout > MAX_TIMEOUT_MS) {
    snprintf(err, sizeof err, "timeoutMs %lld: want 0..%d", (long long)timeout, MAX_TIMEOUT_MS);
    send_error(j->frame.id, E_INVALID_REQUEST, err, NULL);
    release_job(j);
    return;
  }
  j->timeout_ms = timeout ? timeout : DEFAULT_TIMEOUT_MS;
  j->kind = JOB_INVOKE;
  post_job(j);
}

static void shutdown_agent(uint64_t id) {
  agent_log("shutdown requested");
  const char *ack = config.power_off ? "{\"powerOff\":true}" : "{\"powerOff\":false}";
  send_frame(T_SHUTDOWN_ACK, id, ack, strlen(ack), NULL, 0);
  atomic_store(&agent_stopping, true);
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += 2;
  pthread_mutex_lock(&mu);
  while (busy || pending.kind != JOB_NONE)
    if (pthread_cond_timedwait(&job_done, &mu, &deadline) == ETIMEDOUT) {
      agent_log("shutdown: a job still runs after 2s");
      break;
    }
  pthread_mutex_unlock(&mu);
  for (size_t i = 0; i < runtime_count; i++)
    if (runtimes[i]->close) runtimes[i]->close();
  if (config.power_off) {
    sync();
    if (reboot(RB_POWER_OFF) != 0) agent_log("power off: %s", strerror(errno));
  }
}

/* Serves one frame; true after SHUTDOWN. */
static bool handle(frame_t *f, int64_t received) {
  job_t j;
  memset(&j, 0, sizeof j);
  j.frame = *f;
  j.received_us = received;
  memset(f, 0, sizeof *f);
  switch (j.frame.type) {
    case T_READY:
      send_status(T_READY_REPLY, j.frame.id);
      break;
    case T_PING:
      send_status(T_PONG, j.frame.id);
      break;
    case T_SET_IDENTITY:
    case T_LOAD_CODE:
    case T_INVOKE:
      if (!(j.meta = request_meta(&j.frame))) break;
      if (j.frame.type == T_SET_IDENTITY) handle_identity(&j);
      else if (j.frame.type == T_LOAD_CODE) handle_load(&j);
      else handle_invoke(&j);
      return false; /* j was handed on or released */
    case T_SHUTDOWN:
      shutdown_agent(j.frame.id);
      release_job(&j);
      return true;
    default: {
      char msg[96];
      snprintf(msg, sizeof msg, "%s is not a request the agent serves", type_name(j.frame.type));
      send_error(j.frame.id, E_INVALID_REQUEST, msg, NULL);
    }
  }
  release_job(&j);
  return false;
}

int runtimes_reseed(char **msg) {
  buf_t errs = {0};
  for (size_t i = 0; i < runtime_count; i++) {
    char *m = NULL;
    if (runtimes[i]->reseed && runtimes[i]->reseed(&m) != 0) {
      buf_printf(&errs, "%s%s: %s", errs.len ? "; " : "", runtimes[i]->name, m ? m : "failed");
    }
    free(m);
  }
  if (!errs.len) return 0;
  *msg = buf_steal(&errs);
  return -1;
}

void server_init(const server_config *cfg) {
  config = *cfg;
  started_us = now_us();
  instance_id = xstrdup("");
  runtimes[runtime_count++] = &provided_runtime;
  if (strcmp(cfg->runtime, RUNTIME_PYTHON3) == 0) runtimes[runtime_count++] = &python_runtime;
  image_runtime = runtimes[runtime_count - 1]; /* main accepts only these two */
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&job_done, &ca);
  pthread_condattr_destroy(&ca);
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  /* Runtimes keep 64 KiB read buffers on the stack; musl's default thread stack is 128 KiB. */
  pthread_attr_setstacksize(&attr, 1 << 20);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&t, &attr, job_thread, NULL) != 0) {
    agent_log("cannot start the job thread");
    exit(1);
  }
  pthread_attr_destroy(&attr);
}

serve_status server_serve(int fd) {
  static decoder dec;
  decoder_reset(&dec, fd);
  pthread_mutex_lock(&mu);
  connections++;
  pthread_mutex_unlock(&mu);
  buf_reset(&status_buf);
  status_meta(&status_buf);
  /* READY goes out before anything else can: a job of the previous connection finishing now
   * must not write its reply first (PROTOCOL.md 3.2). */
  connection_begin(fd, T_READY_REPLY, status_buf.data, status_buf.len);
  for (;;) {
    frame_t f;
    frame_error e;
    switch (decoder_next(&dec, &f, &e)) {
      case DECODE_FRAME:
        if (handle(&f, now_us())) return SERVE_SHUTDOWN;
        break;
      case DECODE_REJECTED:
        agent_log("rejected frame: %s (request %llu): %s", e.code, (unsigned long long)e.id, e.message);
        send_error(e.id, e.code, e.message, NULL);
        break;
      case DECODE_EOF:
        return SERVE_EOF;
      case DECODE_IO_ERROR:
        return SERVE_ERROR;
    }
  }
}
