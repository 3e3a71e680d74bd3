/* Tests of the python3 runtime (python.c) with the host's python3.11 and the real bootstrap.py:
 * the behaviours the Go agent's tests pinned, and what the C version adds (stopping, close,
 * no helper left behind). */
#define _GNU_SOURCE /* realpath */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../agent.h"
#include "check.h"

/* Defined by provided.c and server.c in the agent; weak so the test links with or without them. */
__attribute__((weak)) const char *const function_base_env[] = {
    "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/tmp", "LANG=C.UTF-8", "TZ=UTC",
    NULL};

__attribute__((weak)) void result_free(result_t *r) {
  buf_free(&r->payload);
  buf_free(&r->stderr_tail);
  free(r->error_type);
  free(r->error_message);
  free(r->trace);
  *r = (result_t){0};
}

#define PYTHON "/usr/bin/python3.11"

static const char handler_py[] =
    "import os, random, time\n"
    "print('imported')\n"
    "count = 0\n"
    "\n"
    "def handler(event, context):\n"
    "    global count\n"
    "    op = event.get('op') if isinstance(event, dict) else None\n"
    "    if op == 'echo':\n"
    "        print('log line')\n"
    "        return {'event': event, 'id': context.aws_request_id, 'fn': context.function_name,\n"
    "                'env': os.environ.get('GREETING'), 'left': context.get_remaining_time_in_millis() > 0}\n"
    "    if op == 'fail':\n"
    "        raise ValueError('bad input')\n"
    "    if op == 'sleep':\n"
    "        time.sleep(event['s'])\n"
    "        return 'slept'\n"
    "    if op == 'crash':\n"
    "        os.write(2, b'dying words\\n')\n"
    "        os._exit(7)\n"
    "    if op == 'count':\n"
    "        count += 1\n"
    "        return count\n"
    "    if op == 'state':\n"
    "        return hash(random.getstate())\n"
    "    if op == 'big':\n"
    "        return event['x'] * 3\n"
    "    if op == 'escape':\n"
    "        import subprocess\n"
    "        subprocess.Popen(['sleep', '2'], start_new_session=True)\n"
    "        time.sleep(30)\n"
    "    if op == 'unserialisable':\n"
    "        return {1, 2}\n"
    "    return None\n";

static char *make_dir(void) {
  char tmpl[] = "/tmp/test_python.XXXXXX";
  char *d = mkdtemp(tmpl);
  if (!d) {
    perror("mkdtemp");
    exit(2);
  }
  return xstrdup(d);
}

static void write_file(const char *dir, const char *name, const char *text) {
  char *path = xasprintf("%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
    perror(path);
    exit(2);
  }
  free(path);
}

static void remove_dir(char *dir) {
  char *cmd = xasprintf("rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  free(cmd);
  free(dir);
}

static env_var greeting = {"GREETING", "hi"};

static code_t code_in(char *dir, char *handler) {
  return (code_t){.dir = dir, .handler = handler, .env = &greeting, .env_count = 1,
                  .function_name = "fn", .function_version = "", .instance_id = ""};
}

static result_t invoke(const code_t *code, const char *event, int64_t timeout_ms) {
  result_t r = {0};
  invocation_t inv = {.id = "inv-1", .event = (const uint8_t *)event, .event_len = strlen(event),
                      .timeout_ms = timeout_ms};
  python_runtime.invoke(code, &inv, &r);
  return r;
}

static bool contains(const char *s, const char *sub) { return s && strstr(s, sub); }

/* The number of processes whose parent is this one (live or zombie). */
static int children(void) {
  DIR *d = opendir("/proc");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    char *paren = strrchr(buf, ')'); /* the name may hold spaces */
    int ppid;
    if (paren && sscanf(paren + 1, " %*c %d", &ppid) == 1 && ppid == getpid()) n++;
  }
  closedir(d);
  return n;
}

static int open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

static void test_invoke(const code_t *code) {
  result_t r = invoke(code, "{\"op\":\"echo\",\"x\":[1,2]}", 5000);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_STR(r.payload.data,
            "{\"event\":{\"op\":\"echo\",\"x\":[1,2]},\"id\":\"inv-1\",\"fn\":\"fn\",\"env\":\"hi\","
            "\"left\":true}");
  CHECK(contains(r.stderr_tail.data, "log line"));
  CHECK(!contains(r.stderr_tail.data, "imported")); /* output of the import is not the call's */
  result_free(&r);

  /* Bodies much larger than a pipe's buffer, both ways. */
  buf_t ev = {0};
  buf_puts(&ev, "{\"op\":\"big\",\"x\":\"");
  for (int i = 0; i < (1 << 19); i++) buf_append(&ev, "ab", 2);
  buf_puts(&ev, "\"}");
  r = invoke(code, ev.data, 10000);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_INT(r.payload.len, 3 * (1 << 20) + 2);
  CHECK(r.payload.len > 3 && !memcmp(r.payload.data, "\"abab", 5));
  result_free(&r);
  /* Three times 2.5 MiB: over the 6 MiB limit. */
  ev.len -= 2;
  for (int i = 0; i < (3 << 18); i++) buf_append(&ev, "ab", 2);
  buf_puts(&ev, "\"}");
  r = invoke(code, ev.data, 10000);
  CHECK_STR(r.error_type, "Runtime.ResponseTooLarge");
  CHECK_INT(r.payload.len, 0);
  buf_free(&ev);
  result_free(&r);

  r = invoke(code, "", 5000); /* empty body: the event is None */
  CHECK_STR(r.status, STATUS_OK);
  CHECK_STR(r.payload.data, "null");
  result_free(&r);
}

static void test_errors(const code_t *code) {
  result_t r = invoke(code, "{\"op\":\"fail\"}", 5000);
  CHECK_STR(r.status, STATUS_FUNCTION_ERROR);
  CHECK_STR(r.error_type, "ValueError");
  CHECK_STR(r.error_message, "bad input");
  CHECK(contains(r.trace, "Traceback"));
  CHECK(contains(r.trace, "raise ValueError('bad input')"));
  CHECK_INT(r.payload.len, 0);
  result_free(&r);

  r = invoke(code, "{\"op\":\"unserialisable\"}", 5000);
  CHECK_STR(r.error_type, "Runtime.MarshalError");
  result_free(&r);

  r = invoke(code, "not json", 5000);
  CHECK_STR(r.status, STATUS_FUNCTION_ERROR);
  CHECK_STR(r.error_type, "Runtime.InvalidEvent");
  result_free(&r);

  r = invoke(code, "null", 5000);
  CHECK_STR(r.status, STATUS_OK); /* the helper is still usable after errors */
  CHECK_STR(r.payload.data, "null");
  result_free(&r);
}

static void test_timeout_restarts(const code_t *code) {
  result_t r = invoke(code, "{\"op\":\"count\"}", 5000);
  CHECK_STR(r.payload.data, "1");
  result_free(&r);
  r = invoke(code, "{\"op\":\"count\"}", 5000);
  CHECK_STR(r.payload.data, "2");
  result_free(&r);

  r = invoke(code, "{\"op\":\"sleep\",\"s\":30}", 500);
  CHECK_STR(r.status, STATUS_TIMEOUT);
  CHECK_STR(r.error_type, "Runtime.Timeout");
  CHECK_STR(r.error_message, "task timed out after 500 ms");
  result_free(&r);

  /* Waits for the background restart; the code was imported again, its state is new. */
  r = invoke(code, "{\"op\":\"count\"}", 10000);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_STR(r.payload.data, "1");
  result_free(&r);
  r = invoke(code, "{\"op\":\"echo\"}", 10000);
  CHECK_STR(r.status, STATUS_OK);
  CHECK(contains(r.payload.data, "\"env\":\"hi\"")); /* the environment came back too */
  result_free(&r);
  CHECK(python_runtime.ready());

  /* A process that left the helper's group keeps its output pipe open: the killed helper is
   * reaped all the same, and only the new one remains. */
  r = invoke(code, "{\"op\":\"escape\"}", 500);
  CHECK_STR(r.status, STATUS_TIMEOUT);
  result_free(&r);
  r = invoke(code, "{\"op\":\"count\"}", 10000);
  CHECK_STR(r.payload.data, "1");
  result_free(&r);
  CHECK_INT(children(), 1);
}

static void test_crash_recovers(const code_t *code) {
  result_t r = invoke(code, "{\"op\":\"count\"}", 5000);
  CHECK_STR(r.payload.data, "2");
  result_free(&r);

  r = invoke(code, "{\"op\":\"crash\"}", 5000);
  CHECK_STR(r.status, STATUS_FUNCTION_ERROR);
  CHECK_STR(r.error_type, "Runtime.ExitError");
  CHECK(contains(r.error_message, "python runtime exited during the invocation: EOF"));
  CHECK(contains(r.stderr_tail.data, "dying words")); /* the helper's last output */
  result_free(&r);

  r = invoke(code, "{\"op\":\"count\"}", 10000);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_STR(r.payload.data, "1");
  result_free(&r);
}

static void test_reseed(const code_t *code) {
  result_t a = invoke(code, "{\"op\":\"state\"}", 5000);
  result_t b = invoke(code, "{\"op\":\"state\"}", 5000);
  CHECK_STR(a.status, STATUS_OK);
  CHECK_STR(a.payload.data, b.payload.data); /* unchanged without a reseed */
  char *msg = NULL;
  CHECK_INT(python_runtime.reseed(&msg), 0);
  CHECK(msg == NULL);
  result_t c = invoke(code, "{\"op\":\"state\"}", 5000);
  CHECK_STR(c.status, STATUS_OK);
  CHECK(a.payload.data && c.payload.data && strcmp(a.payload.data, c.payload.data) != 0);
  result_free(&a);
  result_free(&b);
  result_free(&c);
}

typedef struct {
  bool ready_during_invoke;
} stopper_arg;

static void *stopper(void *arg) {
  stopper_arg *s = arg;
  usleep(300000);
  s->ready_during_invoke = python_runtime.ready(); /* must not wait for the invocation */
  atomic_store(&agent_stopping, true);
  return NULL;
}

static void test_stopping(const code_t *code) {
  stopper_arg s = {0};
  pthread_t t;
  pthread_create(&t, NULL, stopper, &s);
  result_t r = invoke(code, "{\"op\":\"sleep\",\"s\":30}", 60000);
  pthread_join(t, NULL);
  CHECK(s.ready_during_invoke);
  CHECK_STR(r.status, STATUS_FUNCTION_ERROR);
  CHECK_STR(r.error_type, "Runtime.Cancelled");
  result_free(&r);
  CHECK(!python_runtime.ready()); /* killed, and no restart while stopping */
  atomic_store(&agent_stopping, false);

  r = invoke(code, "{\"op\":\"count\"}", 10000); /* starts a helper and imports again */
  CHECK_STR(r.status, STATUS_OK);
  CHECK_STR(r.payload.data, "1");
  result_free(&r);
}

static void test_reload_forgets(void) {
  char *dir2 = make_dir();
  write_file(dir2, "app.py",
             "import os\ndef handler(e, c):\n    return [2, os.environ.get('GREETING')]\n");
  code_t code2 = {.dir = dir2, .handler = "app.handler"};
  char *msg = NULL, *detail = NULL;
  CHECK_INT(python_runtime.load(&code2, &msg, &detail), LOAD_OK);
  result_t r = invoke(&code2, "{}", 5000);
  CHECK_STR(r.payload.data, "[2,null]");
  result_free(&r);
  remove_dir(dir2);
}

static void test_load_errors(void) {
  char *dir = make_dir();
  write_file(dir, "app.py", "import does_not_exist\n");
  code_t code = code_in(dir, "app.handler");
  char *msg = NULL, *detail = NULL;
  CHECK_INT(python_runtime.load(&code, &msg, &detail), LOAD_FAILED);
  CHECK(contains(msg, "Runtime.ImportModuleError: ModuleNotFoundError"));
  CHECK(contains(detail, "Traceback"));
  CHECK(contains(detail, "does_not_exist"));
  free(msg);
  free(detail);

  result_t r = invoke(&code, "{}", 1000); /* a failed load leaves no code */
  CHECK_STR(r.status, STATUS_FUNCTION_ERROR);
  CHECK_STR(r.error_type, "Runtime.NoCode");
  result_free(&r);

  code.handler = "nodot";
  msg = detail = NULL;
  CHECK_INT(python_runtime.load(&code, &msg, &detail), LOAD_FAILED);
  CHECK(contains(msg, "Runtime.MalformedHandlerName"));
  free(msg);
  free(detail);
  CHECK(python_runtime.ready());
  remove_dir(dir);
}

static void test_unavailable(const char *script) {
  python_runtime.close();
  CHECK(!python_runtime.ready());
  CHECK_INT(python_start("/nonexistent/python3", script), -1);
  CHECK(!python_runtime.ready());
  char *dir = make_dir();
  write_file(dir, "app.py", "def handler(e, c):\n    return 1\n");
  code_t code = code_in(dir, "app.handler");
  char *msg = NULL, *detail = (char *)"untouched";
  CHECK_INT(python_runtime.load(&code, &msg, &detail), LOAD_UNAVAILABLE);
  CHECK(contains(msg, "start python helper"));
  CHECK(detail == NULL);
  free(msg);

  /* A helper that exits before its ready message: the error holds what it printed. */
  write_file(dir, "bad.py", "print('boom')\nraise SystemExit(3)\n");
  char *bad = xasprintf("%s/bad.py", dir);
  CHECK_INT(python_start(PYTHON, bad), -1);
  msg = NULL;
  CHECK_INT(python_runtime.load(&code, &msg, &detail), LOAD_UNAVAILABLE);
  CHECK(contains(msg, "python helper did not get ready: EOF"));
  CHECK(contains(msg, "boom"));
  free(msg);
  free(bad);

  CHECK_INT(python_start(PYTHON, script), 0);
  CHECK(python_runtime.ready());
  msg = detail = NULL;
  CHECK_INT(python_runtime.load(&code, &msg, &detail), LOAD_OK);
  result_t r = invoke(&code, "{}", 5000);
  CHECK_STR(r.payload.data, "1");
  result_free(&r);
  remove_dir(dir);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN); /* as main.c: a dead helper's pipe is an error, not a signal */
  if (access(PYTHON, X_OK) != 0) {
    fprintf(stderr, "%s not installed\n", PYTHON);
    return 1;
  }
  char *script = realpath("../runtime/python/bootstrap.py", NULL);
  if (!script) {
    perror("../runtime/python/bootstrap.py (run from guest/native)");
    return 1;
  }

  int fds = open_fds();
  CHECK_INT(python_start(PYTHON, script), 0);
  CHECK(python_runtime.ready());
  char *dir = make_dir();
  write_file(dir, "app.py", handler_py);
  code_t code = code_in(dir, "app.handler");
  char *msg = NULL, *detail = NULL;
  CHECK_INT(python_runtime.load(&code, &msg, &detail), LOAD_OK);
  CHECK(msg == NULL && detail == NULL);

  test_invoke(&code);
  test_errors(&code);
  test_timeout_restarts(&code);
  test_crash_recovers(&code);
  test_reseed(&code);
  test_stopping(&code);
  test_reload_forgets();
  test_load_errors();
  test_unavailable(script);

  python_runtime.close();
  CHECK(!python_runtime.ready());
  /* Every helper killed and reaped, every pipe closed (drain threads may still be finishing:
   * the one whose pipe the escaped process holds until it exits). */
  int left = children(), open_now = open_fds();
  for (int i = 0; i < 100 && (left != 0 || open_now != fds); i++) {
    usleep(50000);
    left = children();
    open_now = open_fds();
  }
  CHECK_INT(left, 0);
  CHECK_INT(open_now, fds);

  remove_dir(dir);
  free(script);
  CHECK_DONE();
}
