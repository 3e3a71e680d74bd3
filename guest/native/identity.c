/* SET_IDENTITY (PROTOCOL.md 4.2 and 6.3): makes a clone restored from a shared template one
 * distinct instance. Messages and reply members are those of the Go agent it replaced
 * (faaster.dev/guest/identity before commit 2004662), pinned by guest/conformance. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

extern char **environ;

#define RANDOM_DEVICE "/dev/urandom"
#define NET_DIR "/sys/class/net"
#define HOSTS_FILE "/etc/hosts"
#define IP_COMMAND "ip" /* busybox ip, found through PATH as Go's exec.Command does */

/* ioctl numbers from <linux/random.h>, which musl-gcc's include path does not carry. */
#define RNDADDENTROPY 0x40085203 /* _IOW('R', 0x03, int[2]) */
#define RNDRESEEDCRNG 0x5207     /* _IO('R', 0x07) */

struct rand_pool_info {
  int entropy_count;
  int buf_size;
  uint32_t buf[];
};

/* Formats into err, cut on a UTF-8 boundary when it doesn't fit. */
static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!errlen) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n >= errlen) err[utf8_clip_head(err, errlen - 1)] = 0;
}

/* ---- parse ---------------------------------------------------------------------------------- */

bool identity_parse(const json *meta, identity_request *req, char *err, size_t errlen) {
  *req = (identity_request){0};
  /* No meta decodes as {}, and so does null (Go's json.Unmarshal into a struct). */
  if (!meta || meta->type == JSON_NULL) return true;
  if (meta->type != JSON_OBJECT) {
    set_err(err, errlen, "meta: want an object");
    return false;
  }
  return json_opt_string(meta, "instanceId", &req->instance_id, err, errlen) &&
         json_opt_string(meta, "hostname", &req->hostname, err, errlen) &&
         json_opt_string(meta, "ip", &req->ip, err, errlen) &&
         json_opt_int(meta, "prefix", &req->prefix, err, errlen) &&
         json_opt_string(meta, "gateway", &req->gateway, err, errlen) &&
         json_opt_string(meta, "mac", &req->mac, err, errlen) &&
         json_opt_string(meta, "interface", &req->iface, err, errlen) &&
         json_opt_int(meta, "unixTimeMs", &req->unix_time_ms, err, errlen);
}

/* ---- validate ------------------------------------------------------------------------------- */

static const char *str(const char *s) { return s ? s : ""; }

static bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_name_char(char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; }

/* ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ */
static bool valid_instance_id(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 128 || !is_alnum(s[0])) return false;
  for (size_t i = 1; i < n; i++)
    if (!is_name_char(s[i])) return false;
  return true;
}

/* RFC 1123, at most 64 bytes: dot-separated labels of 1..63 of [A-Za-z0-9-], alphanumeric at
 * both ends (Go's hostnameRe). */
static bool valid_hostname(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 64) return false;
  for (const char *label = s;;) {
    size_t len = strcspn(label, ".");
    if (len < 1 || len > 63 || !is_alnum(label[0]) || !is_alnum(label[len - 1])) return false;
    for (size_t i = 1; i + 1 < len; i++)
      if (!is_alnum(label[i]) && label[i] != '-') return false;
    if (!label[len]) return true;
    label += len + 1;
  }
}

/* ^[A-Za-z0-9._-]{1,15}$: also keeps the name from reading as more than one ip argument. */
static bool valid_iface(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 15) return false;
  for (size_t i = 0; i < n; i++)
    if (!is_name_char(s[i])) return false;
  return true;
}

/* 0 when s is not an IP address (net.ParseIP), else the largest prefix: 32 for IPv4 and for
 * IPv4-mapped IPv6 (Go's To4 accepts those), 128 for IPv6. */
static int ip_max_prefix(const char *s) {
  unsigned char a[16];
  if (inet_pton(AF_INET, s, a) == 1) return 32;
  if (inet_pton(AF_INET6, s, a) != 1) return 0;
  return IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a) ? 32 : 128;
}

static bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The 48-bit forms net.ParseMAC accepts: aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff. */
static bool valid_mac(const char *s) {
  size_t n = strlen(s);
  if (n == 17 && (s[2] == ':' || s[2] == '-')) {
    for (size_t i = 0; i < n; i++)
      if (i % 3 == 2 ? s[i] != s[2] : !is_hex(s[i])) return false;
    return true;
  }
  if (n == 14 && s[4] == '.') {
    for (size_t i = 0; i < n; i++)
      if (i % 5 == 4 ? s[i] != '.' : !is_hex(s[i])) return false;
    return true;
  }
  return false;
}

/* Decodes one UTF-8 sequence (0 when invalid, as Go's utf8.DecodeRuneInString). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
  if (s[0] < 0x80) return *cp = s[0], 1;
  size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
  if (!len || len > n || s[0] > 0xF4) return 0;
  uint32_t c = s[0] & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    c = c << 6 | (s[i] & 0x3F);
  }
  static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < min[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  return *cp = c, len;
}

/* Non-printable code points beyond ASCII that a host name or id could plausibly carry: C1
 * controls, spaces and format characters, private use. (Go's unicode.IsPrint consults the
 * full tables; everything else counts as printable here.) */
static bool unprintable(uint32_t c) {
  return c <= 0xA0 || c == 0xAD || (c >= 0x2000 && c <= 0x200F) ||
         (c >= 0x2028 && c <= 0x202F) || (c >= 0x205F && c <= 0x206F) || c == 0x3000 ||
         (c >= 0xE000 && c <= 0xF8FF) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) ||
         c >= 0xF0000;
}

/* Go's %q (strconv.Quote), so messages read as the Go agent's. */
static void go_quote(buf_t *b, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);
  buf_puts(b, "\"");
  for (size_t i = 0; i < n;) {
    uint32_t c;
    size_t k = utf8_decode(p + i, n - i, &c);
    if (!k) {
      buf_printf(b, "\\x%02x", p[i]);
      i++;
      continue;
    }
    static const char esc[] = "\a\b\f\n\r\t\v", letter[] = "abfnrtv";
    const char *e = c && c < 0x20 ? strchr(esc, (int)c) : NULL;
    if (c == '"' || c == '\\') buf_printf(b, "\\%c", (char)c);
    else if (c >= 0x20 && c < 0x7F) buf_append(b, p + i, 1);
    else if (e) buf_printf(b, "\\%c", letter[e - esc]);
    else if (c < 0x20 || c == 0x7F) buf_printf(b, "\\x%02x", (unsigned)c);
    else if (!unprintable(c)) buf_append(b, p + i, k);
    else if (c < 0x10000) buf_printf(b, "\\u%04x", (unsigned)c);
    else buf_printf(b, "\\U%08x", (unsigned)c);
    i += k;
  }
  buf_puts(b, "\"");
}

/* Starts the next of the joined messages (errors.Join puts a newline between them). */
static buf_t *problem(buf_t *b) {
  if (b->len) buf_puts(b, "\n");
  return b;
}

bool identity_validate(const identity_request *req, size_t entropy_len, char *err, size_t errlen) {
  buf_t b = {0};
  const char *id = str(req->instance_id), *host = str(req->hostname), *ip = str(req->ip),
             *gw = str(req->gateway), *mac = str(req->mac), *iface = str(req->iface);
  if (!valid_instance_id(id)) {
    buf_puts(problem(&b), "instanceId ");
    go_quote(&b, id);
    buf_puts(&b, ": want 1-128 of [A-Za-z0-9._-]");
  }
  if (!valid_hostname(host)) {
    buf_puts(problem(&b), "hostname ");
    go_quote(&b, host);
    buf_puts(&b, " is not a valid host name");
  }
  if (entropy_len < MIN_ENTROPY || entropy_len > MAX_ENTROPY)
    buf_printf(problem(&b), "entropy: %zu bytes, want %d..%d", entropy_len, MIN_ENTROPY,
               MAX_ENTROPY);
  if (*ip) {
    int max = ip_max_prefix(ip);
    if (!max) {
      buf_puts(problem(&b), "ip ");
      go_quote(&b, ip);
      buf_puts(&b, " is not an IP address");
    } else if (req->prefix < 1 || req->prefix > max) {
      buf_printf(problem(&b), "prefix %" PRId64 ": want 1..%d", req->prefix, max);
    }
  } else if (*gw) {
    buf_puts(problem(&b), "gateway without ip");
  }
  if (*gw && !ip_max_prefix(gw)) {
    buf_puts(problem(&b), "gateway ");
    go_quote(&b, gw);
    buf_puts(&b, " is not an IP address");
  }
  if (*mac && !valid_mac(mac)) {
    buf_puts(problem(&b), "mac ");
    go_quote(&b, mac);
    buf_puts(&b, " is not a 48-bit MAC address");
  }
  if (*iface && !valid_iface(iface)) {
    buf_puts(problem(&b), "interface ");
    go_quote(&b, iface);
    buf_puts(&b, " is not an interface name");
  }
  if (req->unix_time_ms < 0) buf_puts(problem(&b), "unixTimeMs is negative");
  bool ok = b.len == 0;
  if (!ok) set_err(err, errlen, "%s", b.data);
  buf_free(&b);
  return ok;
}

/* ---- apply ---------------------------------------------------------------------------------- */

typedef struct {
  const char *key;
  int64_t us;
} step_time;

/* The IdentityReply as far as it got; written whole on success and failure alike, as Go's
 * reply value is. */
typedef struct {
  const char *network;
  char iface[256];
  size_t entropy_bytes;
  bool kernel_reseeded, runtime_reseeded, clock_set;
  step_time steps[8];
  int nsteps;
  int64_t last;
} reply;

static void add_step(reply *r, const char *key, int64_t us) {
  r->steps[r->nsteps++] = (step_time){key, us};
}

static void step(reply *r, const char *key) {
  int64_t now = now_us();
  add_step(r, key, now - r->last);
  r->last = now;
}

static void write_reply(json_writer *w, const identity_request *req, reply *r) {
  jw_string(w, "instanceId", str(req->instance_id));
  jw_string(w, "hostname", str(req->hostname));
  jw_string(w, "network", r->network);
  if (r->iface[0]) jw_string(w, "interface", r->iface);
  jw_int(w, "entropyBytes", (int64_t)r->entropy_bytes);
  jw_bool(w, "kernelReseeded", r->kernel_reseeded);
  jw_bool(w, "runtimeReseeded", r->runtime_reseeded);
  jw_bool(w, "clockSet", r->clock_set);
  if (!r->nsteps) return;
  /* Sorted by key, as Go writes a map. */
  for (int i = 1; i < r->nsteps; i++)
    for (int j = i; j > 0 && strcmp(r->steps[j - 1].key, r->steps[j].key) > 0; j--) {
      step_time t = r->steps[j];
      r->steps[j] = r->steps[j - 1];
      r->steps[j - 1] = t;
    }
  jw_object(w, "stepsMicros");
  for (int i = 0; i < r->nsteps; i++) jw_int(w, r->steps[i].key, r->steps[i].us);
  jw_end(w);
}

/* Feeds the entropy to the kernel's input pool (8 bits credited per byte), then has the CRNG
 * rekey from it now: a clone otherwise keeps the template's key for up to a minute. */
static bool kernel_entropy(const uint8_t *entropy, size_t len, reply *r, char *err,
                           size_t errlen) {
  int fd = open(RANDOM_DEVICE, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    set_err(err, errlen, "RNDADDENTROPY on %s: open %s: %s", RANDOM_DEVICE, RANDOM_DEVICE,
             strerror(errno));
    return false;
  }
  struct rand_pool_info *info = xmalloc(sizeof *info + (len + 3) / 4 * 4);
  memset(info->buf, 0, (len + 3) / 4 * 4); /* buf is __u32[]: padded to whole words */
  info->entropy_count = (int)(8 * len);
  info->buf_size = (int)len;
  memcpy(info->buf, entropy, len);
  bool ok = ioctl(fd, RNDADDENTROPY, info) == 0;
  free(info);
  if (!ok) {
    set_err(err, errlen, "RNDADDENTROPY on %s: %s", RANDOM_DEVICE, strerror(errno));
  } else {
    r->entropy_bytes = len;
    step(r, "entropy");
    ok = ioctl(fd, RNDRESEEDCRNG) == 0;
    if (!ok) set_err(err, errlen, "RNDRESEEDCRNG on %s: %s", RANDOM_DEVICE, strerror(errno));
  }
  close(fd);
  if (ok) {
    r->kernel_reseeded = true;
    step(r, "kernelReseed");
  }
  return ok;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The wanted interface if the guest has it, else the first non-loopback one by name; "" (in
 * r->iface) when there is none. */
static bool pick_interface(const char *want, reply *r, char *err, size_t errlen) {
  r->iface[0] = 0;
  DIR *d = opendir(NET_DIR);
  if (!d) {
    if (errno == ENOENT) return true;
    set_err(err, errlen, "open %s: %s", NET_DIR, strerror(errno));
    return false;
  }
  char **names = NULL;
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "lo"))
      continue;
    names = xrealloc(names, (n + 1) * sizeof *names);
    names[n++] = xstrdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_names);
  bool ok = true;
  const char *found = n ? names[0] : "";
  if (*want) {
    found = "";
    for (size_t i = 0; i < n; i++)
      if (!strcmp(names[i], want)) found = names[i];
    if (!*found) {
      buf_t have = {0};
      for (size_t i = 0; i < n; i++) buf_printf(&have, "%s%s", i ? "," : "", names[i]);
      set_err(err, errlen, "interface %s not found (have %s)", want, have.data ? have.data : "");
      buf_free(&have);
      ok = false;
    }
  }
  snprintf(r->iface, sizeof r->iface, "%s", found);
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return ok;
}

static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Runs `ip args...` (args NULL-terminated) with stdin from /dev/null; on failure the message
 * is Go's: the command line, why it failed and the trimmed combined stdout and stderr. */
static bool run_ip(char *err, size_t errlen, const char *const *args) {
  const char *argv[16] = {IP_COMMAND};
  buf_t line = {0}, out = {0};
  buf_puts(&line, IP_COMMAND);
  for (int i = 0; args[i]; i++) {
    argv[i + 1] = args[i];
    buf_printf(&line, " %s", args[i]);
  }
  char why[128] = "";
  int status = 0;
  int rc = run_captured(IP_COMMAND, (char *const *)argv, environ, NULL, 0, 0, &out, 64 << 10, &status);
  if (rc == ECHILD)
    snprintf(why, sizeof why, "wait: %s", strerror(rc));
  else if (rc != 0)
    snprintf(why, sizeof why, "exec: \"%s\": %s", IP_COMMAND, strerror(rc));
  else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    snprintf(why, sizeof why, "signal: %s", strsignal(WTERMSIG(status)));
  bool ok = !why[0];
  if (!ok) {
    /* strings.TrimSpace (ASCII white space: all that ip prints) */
    const char *s = out.data ? out.data : "";
    size_t a = 0, z = out.len;
    while (a < z && is_space(s[a])) a++;
    while (z > a && is_space(s[z - 1])) z--;
    set_err(err, errlen, "%s: %s: %.*s", line.data, why, (int)(z - a), s + a);
  }
  buf_free(&line);
  buf_free(&out);
  return ok;
}

#define IP(...) run_ip(err, errlen, (const char *const[]){__VA_ARGS__, NULL})

static bool configure(const char *iface, const identity_request *req, char *err, size_t errlen) {
  if (*str(req->mac)) {
    /* Clones inherit the template's MAC from the migrated device state; set ours. Drivers
     * without live MAC change need the link down first. */
    if (!IP("link", "set", "dev", iface, "address", req->mac)) {
      char first[MAX_ERROR_MESSAGE];
      set_err(first, sizeof first, "%s", err);
      if (!IP("link", "set", "dev", iface, "down")) {
        set_err(err, errlen, "%s", first);
        return false;
      }
      if (!IP("link", "set", "dev", iface, "address", req->mac)) return false;
    }
  }
  if (*str(req->ip)) {
    /* The template's address (if any) must go, or clones would answer for it. */
    char addr[80];
    snprintf(addr, sizeof addr, "%s/%" PRId64, req->ip, req->prefix);
    if (!IP("addr", "flush", "dev", iface) || !IP("addr", "add", addr, "dev", iface))
      return false;
  }
  if (!IP("link", "set", "dev", iface, "up")) return false;
  if (*str(req->gateway) &&
      !IP("route", "replace", "default", "via", req->gateway, "dev", iface))
    return false;
  return true;
}

/* Rewrites /etc/hosts through a temporary file and rename, so readers never see it half
 * written. */
static bool write_hosts(const char *hostname, const char *ip, char *err, size_t errlen) {
  char content[256];
  int n = snprintf(content, sizeof content, "127.0.0.1\tlocalhost\n::1\tlocalhost\n%s\t%s\n",
                   *ip ? ip : "127.0.1.1", hostname);
  const char *tmp = HOSTS_FILE ".tmp";
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    set_err(err, errlen, "hosts file: open %s: %s", tmp, strerror(errno));
    return false;
  }
  for (int off = 0; off < n;) {
    ssize_t k = write(fd, content + off, (size_t)(n - off));
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      set_err(err, errlen, "hosts file: write %s: %s", tmp, strerror(errno));
      close(fd);
      return false;
    }
    off += (int)k;
  }
  if (close(fd) != 0) {
    set_err(err, errlen, "hosts file: close %s: %s", tmp, strerror(errno));
    return false;
  }
  if (rename(tmp, HOSTS_FILE) != 0) {
    set_err(err, errlen, "hosts file: rename %s %s: %s", tmp, HOSTS_FILE, strerror(errno));
    return false;
  }
  return true;
}

/* The order matters: nothing may draw randomness before the kernel and the runtimes are
 * reseeded. A failure stops there; the request is idempotent, so the host may send it again. */
static bool apply_real(const identity_request *req, const uint8_t *entropy, size_t entropy_len,
                       reply *r, char *err, size_t errlen) {
  const char *host = str(req->hostname), *ip_addr = str(req->ip);
  if (!kernel_entropy(entropy, entropy_len, r, err, errlen)) return false;
  char *msg = NULL;
  int rc = runtimes_reseed(&msg);
  if (rc != 0) set_err(err, errlen, "runtime reseed: %s", msg ? msg : "failed");
  free(msg);
  if (rc != 0) return false;
  r->runtime_reseeded = true;
  step(r, "runtimeReseed");
  if (req->unix_time_ms > 0) {
    struct timeval tv = {.tv_sec = req->unix_time_ms / 1000,
                         .tv_usec = req->unix_time_ms % 1000 * 1000};
    if (settimeofday(&tv, NULL) != 0) {
      set_err(err, errlen, "set clock: %s", strerror(errno));
      return false;
    }
    r->clock_set = true;
    /* now_us is monotonic, so the jump of the wall clock doesn't skew this step. */
    step(r, "clock");
  }
  if (sethostname(host, strlen(host)) != 0) {
    set_err(err, errlen, "sethostname: %s", strerror(errno));
    return false;
  }
  step(r, "hostname");
  if (!*ip_addr && !str(req->mac)[0]) {
    bool ok = write_hosts(host, "", err, errlen);
    step(r, "hosts");
    return ok;
  }
  if (!pick_interface(str(req->iface), r, err, errlen)) return false;
  if (!r->iface[0]) {
    r->network = "no_interface";
    step(r, "network");
    bool ok = write_hosts(host, "", err, errlen);
    step(r, "hosts");
    return ok;
  }
  if (!configure(r->iface, req, err, errlen)) return false;
  r->network = "configured";
  step(r, "network");
  bool ok = write_hosts(host, ip_addr, err, errlen);
  step(r, "hosts");
  return ok;
}

bool identity_apply(const identity_request *req, const uint8_t *entropy, size_t entropy_len,
                    bool real, int64_t job_start_us, json_writer *w, char *err, size_t errlen) {
  reply r = {.network = "not_requested", .last = now_us()};
  if (!real) {
    /* -guest=false: accept the identity without touching the machine (no steps timed). */
    r.entropy_bytes = entropy_len;
    write_reply(w, req, &r);
    return true;
  }
  bool ok = apply_real(req, entropy, entropy_len, &r, err, errlen);
  /* Only a reply that went through carries jobStart, as in the Go agent. */
  if (ok) add_step(&r, "jobStart", job_start_us);
  write_reply(w, req, &r);
  return ok;
}
