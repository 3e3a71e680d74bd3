/* faaster-agent: started by the initramfs /init, serves the host on the virtio-serial port
 * dev.faaster.agent (guest/PROTOCOL.md). With -listen it serves a unix socket instead, to try
 * the agent and agentctl on a development machine and for the conformance tests. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "server.h"

typedef struct {
  const char *port, *port_name, *listen, *runtime, *code_root, *share_root, *python,
      *python_bootstrap, *unpack;
  long port_wait_ms;
  bool poweroff, guest, version;
} options;

static void usage(const char *why) {
  fprintf(stderr,
          "faaster-agent: %s\n"
          "usage: faaster-agent [-port DEV|auto] [-port-name NAME] [-port-wait 30s] [-listen SOCKET]\n"
          "  [-runtime provided|python3] [-code-root DIR] [-share-root DIR] [-python PATH]\n"
          "  [-python-bootstrap PATH] [-unpack PATH] [-poweroff=BOOL] [-guest=BOOL] [-version]\n",
          why);
  exit(2);
}

/* Milliseconds of a Go-style duration with one unit ("30s", "500ms", "2m"). */
static long parse_duration_ms(const char *s) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || v < 0) usage("bad duration");
  if (!strcmp(end, "ms")) return (long)v;
  if (!strcmp(end, "s")) return (long)(v * 1000);
  if (!strcmp(end, "m")) return (long)(v * 60000);
  usage("bad duration (units: ms, s, m)");
  return 0;
}

static bool parse_bool(const char *s) {
  if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "t")) return true;
  if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "f")) return false;
  usage("bad boolean");
  return false;
}

/* Flags as Go's flag package reads them (-name value, -name=value, --name; booleans only
 * with =), so /init, the tests and the documentation don't depend on the implementation. */
static void parse_flags(int argc, char **argv, options *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-') usage("unexpected argument");
    a += a[1] == '-' ? 2 : 1;
    char name[64];
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    if (n >= sizeof name) usage("unknown flag");
    memcpy(name, a, n);
    name[n] = 0;
    const char *value = eq ? eq + 1 : NULL;
    bool *flag = !strcmp(name, "poweroff") ? &o->poweroff
                 : !strcmp(name, "guest")  ? &o->guest
                 : !strcmp(name, "version") ? &o->version
                                            : NULL;
    if (flag) {
      *flag = value ? parse_bool(value) : true;
      continue;
    }
    if (!value) {
      if (i + 1 >= argc) usage("flag needs a value");
      value = argv[++i];
    }
    if (!strcmp(name, "port")) o->port = value;
    else if (!strcmp(name, "port-name")) o->port_name = value;
    else if (!strcmp(name, "port-wait")) o->port_wait_ms = parse_duration_ms(value);
    else if (!strcmp(name, "listen")) o->listen = value;
    else if (!strcmp(name, "runtime")) o->runtime = value;
    else if (!strcmp(name, "code-root")) o->code_root = value;
    else if (!strcmp(name, "share-root")) o->share_root = value;
    else if (!strcmp(name, "python")) o->python = value;
    else if (!strcmp(name, "python-bootstrap")) o->python_bootstrap = value;
    else if (!strcmp(name, "unpack")) o->unpack = value;
    else usage("unknown flag");
  }
}

static char *read_trimmed(const char *path) {
  FILE *f = fopen(path, "re");
  if (!f) return NULL;
  char line[256];
  char *s = fgets(line, sizeof line, f) ? line : NULL;
  fclose(f);
  if (!s) return NULL;
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
  return n ? xstrdup(s) : NULL;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* Waits for the virtio-serial port called name. Without udev there is no
 * /dev/virtio-ports/<name> link, so /sys/class/virtio-ports/<dev>/name is matched too. */
static char *find_port(const char *name, long wait_ms) {
  int64_t deadline = now_us() + (int64_t)wait_ms * 1000;
  for (;;) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/dev/virtio-ports/%s", name);
    if (access(path, F_OK) == 0) return xstrdup(path);
    DIR *d = opendir("/sys/class/virtio-ports");
    for (struct dirent *e; d && (e = readdir(d));) {
      if (e->d_name[0] == '.') continue;
      snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
      char *got = read_trimmed(path);
      bool match = got && !strcmp(got, name);
      free(got);
      if (!match) continue;
      snprintf(path, sizeof path, "/dev/%s", e->d_name);
      if (access(path, F_OK) == 0) {
        closedir(d);
        return xstrdup(path);
      }
    }
    if (d) closedir(d);
    if (now_us() > deadline) {
      agent_log("virtio-serial port \"%s\" did not appear within %ld ms (virtio_console loaded? "
                "-device virtserialport,name=%s?)", name, wait_ms, name);
      exit(1);
    }
    sleep_ms(10);
  }
}

/* Serves the port for ever. A read returning end-of-file means no host is connected; the next
 * serve's READY write then blocks in the kernel until one connects. */
static void serve_port(const char *path) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    agent_log("open %s: %s", path, strerror(errno));
    exit(1);
  }
  agent_log("serving %s", path);
  long backoff = 0;
  for (;;) {
    int64_t began = now_us();
    serve_status st = server_serve(fd);
    if (st == SERVE_SHUTDOWN)
      for (;;) pause(); /* power-off in progress */
    if (st == SERVE_ERROR) agent_log("port %s: %s", path, strerror(errno));
    /* End-of-file right after a successful READY write is a host that left at once; if it
     * keeps happening something is wrong with the port: don't spin. */
    if (now_us() - began < 10000) {
      backoff = backoff ? backoff * 2 : 1;
      if (backoff > 100) backoff = 100;
      sleep_ms(backoff);
    } else {
      backoff = 0;
    }
  }
}

static void serve_socket(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) usage("socket path too long");
  strcpy(addr.sun_path, path);
  unlink(path);
  int ln = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ln < 0 || bind(ln, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(ln, 4) != 0) {
    agent_log("listen %s: %s", path, strerror(errno));
    exit(1);
  }
  agent_log("listening on %s", path);
  for (;;) {
    int c = accept4(ln, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR) continue;
      agent_log("accept: %s", strerror(errno));
      exit(1);
    }
    serve_status st = server_serve(c);
    connection_set(-1);
    close(c);
    if (st == SERVE_SHUTDOWN) exit(0);
  }
}

/* faaster-unpack lives next to the agent (both in /sbin in the image, both in one build
 * directory on a development machine). */
static char *default_unpack(void) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return xstrdup("/sbin/faaster-unpack");
  self[n] = 0;
  char *slash = strrchr(self, '/');
  if (slash) *slash = 0;
  return xasprintf("%s/faaster-unpack", self);
}


int main(int argc, char **argv) {
  options o = {.port = "auto", .port_name = "dev.faaster.agent", .port_wait_ms = 30000,
               .code_root = "/run/faaster/instances", .share_root = "/run/faaster/shares",
               .python = "/usr/bin/python3.11", .python_bootstrap = "/usr/lib/faaster/bootstrap.py",
               .poweroff = true, .guest = true};
  parse_flags(argc, argv, &o);
  if (o.version) {
    puts(AGENT_VERSION);
    return 0;
  }
  signal(SIGPIPE, SIG_IGN); /* a function closing its stdin early is not the agent's death */
  char *runtime = o.runtime ? xstrdup(o.runtime) : read_trimmed("/etc/faaster/runtime");
  if (!runtime) runtime = xstrdup(RUNTIME_PROVIDED);
  if (strcmp(runtime, RUNTIME_PROVIDED) && strcmp(runtime, RUNTIME_PYTHON3)) {
    agent_log("unknown runtime \"%s\"", runtime);
    return 1;
  }
  char *uptime = read_trimmed("/proc/uptime");
  if (uptime) *strchrnul(uptime, ' ') = 0;
  agent_log("version %s, runtime %s, kernel uptime %ss", AGENT_VERSION, runtime, uptime ? uptime : "?");
  free(uptime);

  server_config cfg = {
      .runtime = runtime, .code_root = o.code_root, .share_root = o.guest ? o.share_root : NULL,
      .unpack = o.unpack ? o.unpack : default_unpack(), .real_guest = o.guest,
      .power_off = o.poweroff && !o.listen,
  };
  server_init(&cfg);
  if (!strcmp(runtime, RUNTIME_PYTHON3)) {
    /* The helper runs in /, so relative paths (development: -python-bootstrap runtime/...) are
     * resolved here. */
    char *script = realpath(o.python_bootstrap, NULL);
    if (python_start(o.python, script ? script : o.python_bootstrap) != 0)
      agent_log("python3 runtime not ready (LOAD_CODE retries)");
  }

  if (o.listen) {
    serve_socket(o.listen);
    return 0;
  }
  char *path = strcmp(o.port, "auto") ? xstrdup(o.port) : find_port(o.port_name, o.port_wait_ms);
  serve_port(path);
  return 0;
}
