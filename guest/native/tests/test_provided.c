/* Tests of the provided runtime (provided.c): behaviours the Go agent's tests pinned and
 * what the C version adds (exact environment, start errors, signals reset in the child). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../agent.h"
#include "check.h"

/* Not result_free: that is server.c's, which make links into every test and this command line
 * doesn't. */
static void drop_result(result_t *r) {
  buf_free(&r->payload);
  buf_free(&r->stderr_tail);
  free(r->error_type);
  free(r->error_message);
  free(r->trace);
  *r = (result_t){0};
}

static char *make_dir(void) {
  char tmpl[] = "/tmp/test_provided.XXXXXX";
  char *d = mkdtemp(tmpl);
  if (!d) {
    perror("mkdtemp");
    exit(2);
  }
  return xstrdup(d);
}

static void write_file(const char *path, const char *text, mode_t mode) {
  FILE *f = fopen(path, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, mode) != 0) {
    perror(path);
    exit(2);
  }
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static env_var greeting[] = {{"GREETING", "hello"}};

/* A code dir whose bootstrap is "#!/bin/sh\n" + script, loaded with handler "h" and
 * GREETING=hello. */
static code_t code_with(const char *script) {
  code_t code = {.dir = make_dir(), .handler = "h", .env = greeting, .env_count = 1,
                 .function_name = "", .function_version = "", .instance_id = ""};
  char *path = xasprintf("%s/bootstrap", code.dir);
  char *text = xasprintf("#!/bin/sh\n%s\n", script);
  write_file(path, text, 0755);
  free(text);
  free(path);
  char *msg = NULL, *detail = NULL;
  if (provided_runtime.load(&code, &msg, &detail) != LOAD_OK) {
    fprintf(stderr, "load: %s\n", msg);
    exit(2);
  }
  return code;
}

static result_t run(const code_t *code, const void *event, size_t len, int64_t timeout_ms) {
  invocation_t inv = {.id = "inv-1", .event = event, .event_len = len, .timeout_ms = timeout_ms};
  result_t r = {0};
  provided_runtime.invoke(code, &inv, &r);
  return r;
}

static result_t run_str(const code_t *code, const char *event, int64_t timeout_ms) {
  return run(code, event, strlen(event), timeout_ms);
}

static void remove_dir(code_t *code) {
  char *cmd = xasprintf("rm -rf '%s'", code->dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", code->dir);
  free(cmd);
  free(code->dir);
}

static pid_t read_pid(const char *dir, const char *name) {
  char *path = xasprintf("%s/%s", dir, name);
  FILE *f = fopen(path, "r");
  free(path);
  long pid = 0;
  if (!f) return 0;
  if (fscanf(f, "%ld", &pid) != 1) pid = 0;
  fclose(f);
  return (pid_t)pid;
}

/* Whether a process of the group is alive: killed ones stay zombies until init reaps them. */
static bool group_alive(pid_t pgid) {
  DIR *d = opendir("/proc");
  bool alive = false;
  for (struct dirent *e; d && !alive && (e = readdir(d));) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    char *path = xasprintf("/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    free(path);
    char line[1024];
    if (f && fgets(line, sizeof line, f)) {
      char state;
      long ppid, pgrp;
      char *end = strrchr(line, ')');  /* the command name may hold spaces and parentheses */
      if (end && sscanf(end + 1, " %c %ld %ld", &state, &ppid, &pgrp) == 3)
        alive = pgrp == pgid && state != 'Z' && state != 'X';
    }
    if (f) fclose(f);
  }
  if (d) closedir(d);
  return alive;
}

/* Waits (bounded) until the group has no live process: SIGKILL takes effect when the killed
 * processes next run. */
static bool group_gone(pid_t pgid) {
  for (int i = 0; i < 300; i++) {
    if (!group_alive(pgid)) return true;
    usleep(10000);
  }
  return false;
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
  if (d) closedir(d);
  return n;
}

static void test_echo_with_environment(void) {
  code_t code = code_with("read ev; printf '%s %s %s' \"$GREETING\" \"$FAASTER_INVOCATION_ID\" "
                          "\"$ev\"; printf cwd=%s \"$PWD\" >&2");
  result_t r = run_str(&code, "{\"n\":1}", 5000);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_STR(r.payload.data, "hello inv-1 {\"n\":1}");
  CHECK(r.error_type == NULL);
  CHECK(r.has_exit_code);
  CHECK_INT(r.exit_code, 0);
  CHECK(r.duration_us > 0);
  char *cwd = xasprintf("cwd=%s", code.dir);
  CHECK_STR(r.stderr_tail.data, cwd);
  free(cwd);
  drop_result(&r);
  remove_dir(&code);
}

/* bootstrap is /usr/bin/env itself, so stdout is the environment exactly as given to execve. */
static void test_exact_environment(void) {
  char *dir = make_dir();
  char *bs = xasprintf("%s/bootstrap", dir);
  CHECK(symlink("/usr/bin/env", bs) == 0);
  env_var env[] = {{"Z_LAST", "z"}, {"HOME", "/override"}, {"FAASTER_INVOCATION_ID", "spoof"},
                   {"A_FIRST", "1"}, {"_HANDLER", "spoof"}, {"A_FIRST", "2"}};
  code_t code = {.dir = dir, .handler = "app.h", .env = env, .env_count = 6,
                 .function_name = "fn", .function_version = "7", .instance_id = "i-9",
                 .memory_mib = 128};
  char *msg = NULL, *detail = NULL;
  CHECK_INT(provided_runtime.load(&code, &msg, &detail), LOAD_OK);
  result_t r = run_str(&code, "", 1234);
  CHECK_STR(r.status, STATUS_OK);
  char *want = xasprintf("PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin\n"
                         "LANG=C.UTF-8\n"
                         "TZ=UTC\n"
                         "A_FIRST=2\n"
                         "HOME=/override\n"
                         "Z_LAST=z\n"
                         "FAASTER_CODE_DIR=%s\n"
                         "_HANDLER=app.h\n"
                         "FAASTER_FUNCTION_NAME=fn\n"
                         "FAASTER_FUNCTION_VERSION=7\n"
                         "FAASTER_MEMORY_MIB=128\n"
                         "FAASTER_INSTANCE_ID=i-9\n"
                         "FAASTER_INVOCATION_ID=inv-1\n"
                         "FAASTER_TIMEOUT_MS=1234\n",
                         dir);
  CHECK_STR(r.payload.data, want);
  free(want);
  free(bs);
  drop_result(&r);
  remove_dir(&code);
}

static void test_big_event_echoed(void) {
  code_t code = code_with("exec cat");
  size_t len = MAX_BODY;
  uint8_t *event = xmalloc(len);
  for (size_t i = 0; i < len; i++) event[i] = (uint8_t)(i * 7 + i / 65536);
  result_t r = run(&code, event, len, 20000);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_INT(r.payload.len, len);
  CHECK(r.payload.len == len && memcmp(r.payload.data, event, len) == 0);
  drop_result(&r);
  free(event);
  remove_dir(&code);
}

/* The child fills its stderr pipe many times over before it reads anything. */
static void test_writes_before_reading(void) {
  code_t code = code_with("head -c 1000000 /dev/zero | tr '\\0' x >&2; echo end >&2; exec wc -c");
  size_t len = MAX_BODY;
  uint8_t *event = xmalloc(len);
  memset(event, 'e', len);
  result_t r = run(&code, event, len, 20000);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_INT(atol(r.payload.data), len);
  CHECK_INT(r.stderr_tail.len, STDERR_TAIL_MAX);
  CHECK(r.stderr_tail.len >= 4 && memcmp(r.stderr_tail.data + r.stderr_tail.len - 4, "end\n", 4) == 0);
  CHECK(r.stderr_tail.data[0] == 'x');
  drop_result(&r);
  free(event);
  remove_dir(&code);
}

/* A bootstrap that never reads its stdin: the unread event (EPIPE) is not an error. */
static void test_event_not_read(void) {
  code_t code = code_with("echo hi");
  size_t len = MAX_BODY;
  uint8_t *event = xmalloc(len);
  memset(event, 'e', len);
  result_t r = run(&code, event, len, 10000);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_STR(r.payload.data, "hi\n");
  drop_result(&r);
  free(event);
  remove_dir(&code);
}

static void test_exit_error_with_stderr_tail(void) {
  code_t code = code_with("i=0; while [ $i -lt 2000 ]; do echo \"noise $i\" >&2; i=$((i+1)); done; "
                          "printf partial; echo boom >&2; exit 3");
  result_t r = run_str(&code, "", 10000);
  CHECK_STR(r.status, STATUS_FUNCTION_ERROR);
  CHECK_STR(r.error_type, "Runtime.ExitError");
  CHECK_STR(r.error_message, "bootstrap exit status 3");
  CHECK(r.has_exit_code);
  CHECK_INT(r.exit_code, 3);
  CHECK_STR(r.payload.data, "partial");
  CHECK_INT(r.stderr_tail.len, STDERR_TAIL_MAX);
  CHECK(r.stderr_tail.len >= 5 &&
        memcmp(r.stderr_tail.data + r.stderr_tail.len - 5, "boom\n", 5) == 0);
  drop_result(&r);
  remove_dir(&code);
}

static void test_killed_by_signal(void) {
  code_t code = code_with("kill -9 $$");
  result_t r = run_str(&code, "", 5000);
  CHECK_STR(r.status, STATUS_FUNCTION_ERROR);
  CHECK_STR(r.error_type, "Runtime.ExitError");
  CHECK_STR(r.error_message, "bootstrap signal: killed");
  CHECK_INT(r.exit_code, 128 + 9);
  drop_result(&r);
  remove_dir(&code);
}

/* The agent ignores SIGPIPE and a thread may block signals: the bootstrap gets defaults. */
static void test_signals_reset_in_child(void) {
  code_t code = code_with("kill -PIPE $$; echo survived");
  result_t r = run_str(&code, "", 5000);
  CHECK_INT(r.exit_code, 128 + SIGPIPE);
  CHECK_STR(r.error_message, "bootstrap signal: broken pipe");
  CHECK_INT(r.payload.len, 0);
  drop_result(&r);
  remove_dir(&code);

  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  code = code_with("kill -TERM $$; echo survived");
  r = run_str(&code, "", 5000);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  CHECK_INT(r.exit_code, 128 + SIGTERM);
  CHECK_STR(r.error_message, "bootstrap signal: terminated");
  drop_result(&r);
  remove_dir(&code);
}

static void test_timeout_kills_process_group(void) {
  char *marker_dir = make_dir();
  char *marker = xasprintf("%s/still-running", marker_dir);
  /* The child outlives its parent unless the whole group is killed. */
  char *script = xasprintf("echo $$ > pgid; (sleep 1; touch %s) & printf partial; sleep 10", marker);
  code_t code = code_with(script);
  result_t r = run_str(&code, "", 300);
  CHECK_STR(r.status, STATUS_TIMEOUT);
  CHECK_STR(r.error_type, "Runtime.Timeout");
  CHECK_STR(r.error_message, "task timed out after 300 ms");
  CHECK_STR(r.payload.data, "partial");
  CHECK_INT(r.exit_code, 128 + SIGKILL);
  pid_t pgid = read_pid(code.dir, "pgid");
  CHECK(pgid > 0);
  if (pgid > 0) CHECK(group_gone(pgid));
  usleep(1500000);
  CHECK(!exists(marker));
  drop_result(&r);
  remove_dir(&code);
  free(script);
  free(marker);
  free(marker_dir);
}

/* A background child in the group holds stdout open: the result still comes (its output is
 * kept), and the child is killed with the group. */
static void test_leftover_child_in_group(void) {
  code_t code = code_with("echo $$ > pgid; sleep 30 & printf 'host=a\\nmac=b\\n'; echo oops >&2");
  result_t r = run_str(&code, "", 10000);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_STR(r.payload.data, "host=a\nmac=b\n");
  CHECK_STR(r.stderr_tail.data, "oops\n");
  pid_t pgid = read_pid(code.dir, "pgid");
  CHECK(pgid > 0);
  if (pgid > 0) CHECK(group_gone(pgid));
  drop_result(&r);
  remove_dir(&code);
}

/* A child that left the group (setsid) holds stdout and stderr open and survives the group's
 * kill: the result still comes, after the idle allowance. */
static void test_escaped_child(void) {
  code_t code = code_with("setsid sleep 30 & echo $! > escaped; echo done");
  result_t r = run_str(&code, "", 10000);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_STR(r.payload.data, "done\n");
  pid_t escaped = read_pid(code.dir, "escaped");
  CHECK(escaped > 0);
  if (escaped > 0) kill(escaped, SIGKILL);
  drop_result(&r);
  remove_dir(&code);
}

/* A leftover child that never stops writing doesn't hold the result for ever. */
static void test_endless_leftover_writer(void) {
  code_t code = code_with("echo $$ > pgid; yes > /dev/stderr & echo done");
  result_t r = run_str(&code, "", 300);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_STR(r.payload.data, "done\n");
  CHECK(r.stderr_tail.len >= 2 && memcmp(r.stderr_tail.data + r.stderr_tail.len - 2, "y\n", 2) == 0);
  pid_t pgid = read_pid(code.dir, "pgid");
  CHECK(pgid > 0);
  if (pgid > 0) CHECK(group_gone(pgid));
  drop_result(&r);
  remove_dir(&code);
}

static void test_response_size_limit(void) {
  code_t code = code_with("head -c 6291457 /dev/zero");
  result_t r = run_str(&code, "", 20000);
  CHECK_STR(r.status, STATUS_FUNCTION_ERROR);
  CHECK_STR(r.error_type, "Runtime.ResponseTooLarge");
  CHECK_STR(r.error_message, "response of 6291457 bytes exceeds 6291456");
  CHECK_INT(r.payload.len, 0);
  drop_result(&r);
  remove_dir(&code);

  /* A failed bootstrap's stdout comes back, but never more than MAX_BODY of it. */
  code = code_with("head -c 7000000 /dev/zero; exit 1");
  r = run_str(&code, "", 20000);
  CHECK_STR(r.error_type, "Runtime.ExitError");
  CHECK_INT(r.payload.len, MAX_BODY);
  drop_result(&r);
  remove_dir(&code);

  code = code_with("head -c 6291456 /dev/zero");
  r = run_str(&code, "", 20000);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_INT(r.payload.len, MAX_BODY);
  drop_result(&r);
  remove_dir(&code);
}

static void test_load_refuses_bad_bootstrap(void) {
  code_t code = {.dir = make_dir(), .handler = "", .function_name = "", .function_version = "",
                 .instance_id = ""};
  char *bs = xasprintf("%s/bootstrap", code.dir);
  char *msg = NULL, *detail = NULL;
  CHECK_INT(provided_runtime.load(&code, &msg, &detail), LOAD_FAILED);
  char *want = xasprintf("code package has no bootstrap: stat %s: no such file or directory", bs);
  CHECK_STR(msg, want);
  CHECK(detail == NULL);
  free(want);
  free(msg);

  write_file(bs, "#!/bin/sh\n", 0644);
  CHECK_INT(provided_runtime.load(&code, &msg, &detail), LOAD_FAILED);
  CHECK_STR(msg, "bootstrap is not executable (zip it with mode 0755)");
  free(msg);

  unlink(bs);
  CHECK(mkdir(bs, 0755) == 0);
  CHECK_INT(provided_runtime.load(&code, &msg, &detail), LOAD_FAILED);
  CHECK_STR(msg, "bootstrap is not a regular file");
  free(msg);

  /* A trailing slash on the directory doesn't double the separator. */
  rmdir(bs);
  write_file(bs, "#!/bin/sh\n", 0755);
  char *dir = code.dir;
  code.dir = xasprintf("%s/", dir);
  CHECK_INT(provided_runtime.load(&code, &msg, &detail), LOAD_OK);
  CHECK(msg == NULL);
  free(code.dir);
  code.dir = dir;
  free(bs);
  remove_dir(&code);
}

/* Executable but not startable: reported as Runtime.StartError with Go's message. */
static void test_start_errors(void) {
  code_t code = code_with("");
  char *bs = xasprintf("%s/bootstrap", code.dir);
  write_file(bs, "#!/nonexistent/interpreter\n", 0755);
  result_t r = run_str(&code, "", 5000);
  CHECK_STR(r.status, STATUS_FUNCTION_ERROR);
  CHECK_STR(r.error_type, "Runtime.StartError");
  char *want = xasprintf("fork/exec %s: no such file or directory", bs);
  CHECK_STR(r.error_message, want);
  CHECK(!r.has_exit_code);
  free(want);
  drop_result(&r);

  write_file(bs, "no interpreter line\n", 0755);
  r = run_str(&code, "", 5000);
  CHECK_STR(r.error_type, "Runtime.StartError");
  want = xasprintf("fork/exec %s: exec format error", bs);
  CHECK_STR(r.error_message, want);
  free(want);
  drop_result(&r);
  free(bs);
  remove_dir(&code);
}

static void *stop_soon(void *arg) {
  (void)arg;
  usleep(200000);
  atomic_store(&agent_stopping, true);
  return NULL;
}

static void test_agent_stopping_cancels(void) {
  code_t code = code_with("echo $$ > pgid; sleep 10");
  pthread_t t;
  CHECK(pthread_create(&t, NULL, stop_soon, NULL) == 0);
  result_t r = run_str(&code, "", 60000);
  pthread_join(t, NULL);
  atomic_store(&agent_stopping, false);
  CHECK_STR(r.status, STATUS_FUNCTION_ERROR);
  CHECK_STR(r.error_type, "Runtime.Cancelled");
  CHECK_STR(r.error_message, "invocation cancelled (agent shutting down)");
  pid_t pgid = read_pid(code.dir, "pgid");
  CHECK(pgid > 0);
  if (pgid > 0) CHECK(group_gone(pgid));
  drop_result(&r);
  remove_dir(&code);
}

/* Stopping after the bootstrap exited ends the drain of an endless leftover writer too. */
static void test_agent_stopping_ends_drain(void) {
  code_t code = code_with("echo $$ > pgid; yes >&2 & echo done");
  pthread_t t;
  CHECK(pthread_create(&t, NULL, stop_soon, NULL) == 0);
  result_t r = run_str(&code, "", 600000);
  pthread_join(t, NULL);
  atomic_store(&agent_stopping, false);
  CHECK_STR(r.status, STATUS_OK);
  CHECK_STR(r.payload.data, "done\n");
  pid_t pgid = read_pid(code.dir, "pgid");
  CHECK(pgid > 0);
  if (pgid > 0) CHECK(group_gone(pgid));
  drop_result(&r);
  remove_dir(&code);
}

static void test_ops(void) {
  CHECK_STR(provided_runtime.name, RUNTIME_PROVIDED);
  CHECK(provided_runtime.ready());
  char *msg = NULL;
  CHECK_INT(provided_runtime.reseed(&msg), 0);
  provided_runtime.close();
}

int main(void) {
  signal(SIGPIPE, SIG_IGN); /* as main.c */
  int fds = count_fds();
  test_ops();
  test_echo_with_environment();
  test_exact_environment();
  test_big_event_echoed();
  test_writes_before_reading();
  test_event_not_read();
  test_exit_error_with_stderr_tail();
  test_killed_by_signal();
  test_signals_reset_in_child();
  test_timeout_kills_process_group();
  test_leftover_child_in_group();
  test_escaped_child();
  test_endless_leftover_writer();
  test_response_size_limit();
  test_load_refuses_bad_bootstrap();
  test_start_errors();
  test_agent_stopping_cancels();
  test_agent_stopping_ends_drain();
  /* Every bootstrap was reaped and every pipe closed. */
  CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
  CHECK_INT(count_fds(), fds);
  CHECK_DONE();
}
