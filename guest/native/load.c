/* LOAD_CODE (PROTOCOL.md 4.3): checks the request and places the package. Zip packages are
 * unpacked by a separate program (faaster-unpack, Go: archive/zip and os.Root give the
 * path-traversal and zip-bomb protections tested in guest/codepkg) so the agent itself holds
 * no zip code; the platform's cold path reads packages in place from the code share. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load.h"

#define MAX_SHARES 8
#define UNPACK_TIMEOUT_MS 60000

bool load_request_parse(const json *meta, load_request *req, char *err, size_t errlen) {
  memset(req, 0, sizeof *req);
  if (!json_opt_string(meta, "runtime", &req->runtime, err, errlen) ||
      !json_opt_string(meta, "handler", &req->handler, err, errlen) ||
      !json_opt_string(meta, "path", &req->path, err, errlen) ||
      !json_opt_string(meta, "share", &req->share, err, errlen) ||
      !json_opt_string(meta, "codeSha256", &req->code_sha256, err, errlen) ||
      !json_opt_string(meta, "functionName", &req->function_name, err, errlen) ||
      !json_opt_string(meta, "functionVersion", &req->function_version, err, errlen) ||
      !json_opt_int(meta, "memoryMiB", &req->memory_mib, err, errlen))
    return false;
  const json *env = json_get(meta, "env");
  if (!env || env->type == JSON_NULL) return true;
  if (env->type != JSON_OBJECT) {
    snprintf(err, errlen, "field env: want an object of strings");
    return false;
  }
  req->env = xmalloc((env->count ? env->count : 1) * sizeof *req->env);
  for (size_t i = 0; i < env->count; i++) {
    const json *v = env->items[i];
    if (v->type != JSON_STRING) {
      snprintf(err, errlen, "field env: want an object of strings");
      load_request_free(req);
      return false;
    }
    /* Duplicate names: the last wins, as for every other member. */
    size_t k = 0;
    while (k < req->env_count && strcmp(req->env[k].key, env->keys[i]) != 0) k++;
    if (k == req->env_count) {
      req->env[k].key = xstrdup(env->keys[i]);
      req->env_count++;
    } else {
      free(req->env[k].value);
    }
    req->env[k].value = xstrdup(v->string);
    if (strlen(v->string) != v->string_len && !req->nul_env) req->nul_env = xstrdup(env->keys[i]);
  }
  return true;
}

void load_request_free(load_request *req) {
  for (size_t i = 0; i < req->env_count; i++) free(req->env[i].key), free(req->env[i].value);
  free(req->env);
  free(req->nul_env);
  req->env = NULL;
  req->nul_env = NULL;
  req->env_count = 0;
}

static bool valid_share_tag(const char *tag) {
  size_t n = strlen(tag);
  if (n == 0 || n > 31 || !strcmp(tag, ".") || !strcmp(tag, "..")) return false;
  for (const char *p = tag; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '.' || *p == '_' || *p == '-'))
      return false;
  return true;
}

/* Go's filepath.IsLocal on Unix: relative, non-empty, never climbing above its start. */
static bool is_local(const char *path) {
  if (!path[0] || path[0] == '/') return false;
  int depth = 0;
  for (const char *p = path; *p;) {
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (--depth < 0) return false;
    } else if (n > 0 && !(n == 1 && p[0] == '.')) {
      depth++;
    }
    p += n;
    if (*p == '/') p++;
  }
  return true;
}

static bool is_hex64(const char *s) {
  if (strlen(s) != 64) return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F'))) return false;
  return true;
}

static void problem(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(buf_t *b, const char *fmt, ...) {
  if (b->len) buf_puts(b, "; ");
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  buf_puts(b, line);
}

bool load_request_validate(const load_request *req, size_t body_len, char *err, size_t errlen) {
  buf_t p = {0};
  const char *path = req->path ? req->path : "";
  const char *share = req->share ? req->share : "";
  const char *handler = req->handler ? req->handler : "";
  if ((path[0] == 0) == (body_len == 0)) problem(&p, "exactly one of path and body (zip bytes) must be given");
  if (share[0]) {
    if (!valid_share_tag(share))
      problem(&p, "share \"%s\" must be 1..31 letters, digits, '.', '_' or '-'", share);
    if (!is_local(path)) problem(&p, "path in a share must be relative and stay inside it");
  } else if (path[0] && path[0] != '/') {
    problem(&p, "path must be absolute");
  }
  if (req->runtime && !strcmp(req->runtime, RUNTIME_PYTHON3)) {
    /* module.function: a dot that is neither leading nor trailing */
    size_t n = strlen(handler), a = 0, b = n;
    while (a < n && handler[a] == '.') a++;
    while (b > a && handler[b - 1] == '.') b--;
    if (!memchr(handler + a, '.', b - a)) problem(&p, "python3 handler \"%s\" must be module.function", handler);
  }
  for (size_t i = 0; i < req->env_count; i++)
    if (!req->env[i].key[0] || strchr(req->env[i].key, '='))
      problem(&p, "env \"%s\" is not a valid variable", req->env[i].key);
  if (req->nul_env) problem(&p, "env \"%s\" is not a valid variable", req->nul_env);
  if (req->code_sha256 && req->code_sha256[0] && !is_hex64(req->code_sha256))
    problem(&p, "codeSha256 must be 64 hex digits");
  if (!p.len) return true;
  snprintf(err, errlen, "%s", p.data);
  buf_free(&p);
  return false;
}

/* ---- placing the package ------------------------------------------------------------------ */

static char *mounted[MAX_SHARES];
static size_t mounted_count;
static unsigned long code_seq;

static int mkdir_parents(const char *path) {
  char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
      free(p);
      return -1;
    }
    *s = '/';
  }
  free(p);
  return 0;
}

/* Mounts the share tagged tag on first use (only the job thread calls this: no race). */
static char *share_dir(const server_config *cfg, const char *tag, char **msg) {
  if (!cfg->share_root) {
    *msg = xstrdup("this agent mounts no file shares");
    return NULL;
  }
  char *dir = xasprintf("%s/%s", cfg->share_root, tag);
  for (size_t i = 0; i < mounted_count; i++)
    if (!strcmp(mounted[i], tag)) return dir;
  if (mkdir_parents(dir) != 0 || (mkdir(dir, 0755) != 0 && errno != EEXIST)) {
    *msg = xasprintf("mkdir %s: %s", dir, strerror(errno));
    free(dir);
    return NULL;
  }
  /* cache=loose: the guest keeps what it read (a provided bootstrap is exec'd on every
   * invocation; uncached, each exec went back to the host: ~20 ms more under TCG). Safe
   * because a package directory never changes under its name, the package's digest. */
  if (mount(tag, dir, "9p", MS_RDONLY | MS_NOSUID | MS_NODEV,
            "trans=virtio,version=9p2000.L,cache=loose,msize=262144") != 0) {
    *msg = xasprintf("mount share %s: %s", tag, strerror(errno));
    free(dir);
    return NULL;
  }
  if (mounted_count < MAX_SHARES) mounted[mounted_count++] = xstrdup(tag);
  return dir;
}

/* Runs the unpack program; 0 with the stats, or -1 with its message in *msg. */
static int run_unpack(const server_config *cfg, const char *zip_path, const uint8_t *body,
                      size_t body_len, const char *sha, const char *dest, load_result *out,
                      char **msg) {
  const char *argv[10];
  int argc = 0;
  argv[argc++] = cfg->unpack;
  argv[argc++] = "-dest";
  argv[argc++] = dest;
  if (sha && sha[0]) argv[argc++] = "-sha256", argv[argc++] = sha;
  if (zip_path) argv[argc++] = "-zip", argv[argc++] = zip_path;
  argv[argc] = NULL;
  static char *const env[] = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", NULL};
  buf_t text = {0};
  int status = 0;
  /* A deadline: a hung unpack must not keep the agent busy for ever. */
  int rc = run_captured(cfg->unpack, (char *const *)argv, env, body, body_len, UNPACK_TIMEOUT_MS,
                        &text, 64 << 10, &status);
  if (rc == ETIMEDOUT || rc == ECANCELED) {
    *msg = xstrdup(rc == ECANCELED ? "unpacking stopped: the agent is shutting down"
                                   : "unpacking took longer than 60 s");
    buf_free(&text);
    return -1;
  }
  if (rc) {
    *msg = xasprintf("start %s: %s", cfg->unpack, strerror(rc));
    buf_free(&text);
    return -1;
  }
  while (text.len && (text.data[text.len - 1] == '\n' || text.data[text.len - 1] == ' '))
    text.data[--text.len] = 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *msg = text.len ? buf_steal(&text) : xstrdup("unpacking failed");
    buf_free(&text);
    return -1;
  }
  json *stats = json_parse(text.data ? text.data : "", text.len, NULL, 0);
  char err[64];
  out->files = out->bytes = 0;
  if (!stats || !json_opt_int(stats, "files", &out->files, err, sizeof err) ||
      !json_opt_int(stats, "bytes", &out->bytes, err, sizeof err)) {
    *msg = xasprintf("unpack program printed no statistics: %s", text.data ? text.data : "");
    json_free(stats);
    buf_free(&text);
    return -1;
  }
  json_free(stats);
  buf_free(&text);
  return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  if (remove(path) != 0 && errno != ENOENT) agent_log("remove %s: %s", path, strerror(errno));
  return 0;
}

void remove_tree(const char *dir) {
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

const char *load_package(const load_request *req, const uint8_t *body, size_t body_len,
                         const server_config *cfg, const char *instance_id, load_result *out,
                         char **msg) {
  memset(out, 0, sizeof *out);
  if (req->share && req->share[0]) {
    /* The host verified and unpacked the package; the guest reads its files where they are. */
    char *root = share_dir(cfg, req->share, msg);
    if (!root) return E_INTERNAL;
    char *dir = xasprintf("%s/%s", root, req->path);
    free(root);
    struct stat st;
    int e = stat(dir, &st) != 0 ? errno : 0;
    if (e || !S_ISDIR(st.st_mode)) {
      *msg = xasprintf("%s in share %s is not a directory%s%s", req->path, req->share,
                       e ? ": " : "", e ? strerror(e) : "");
      free(dir);
      return E_INTERNAL;
    }
    out->dir = dir;
    return NULL;
  }
  const char *zip_path = NULL;
  if (req->path && req->path[0]) {
    struct stat st;
    if (stat(req->path, &st) != 0) {
      *msg = xasprintf("stat %s: %s", req->path, strerror(errno));
      return E_BAD_CODE_PACKAGE;
    }
    if (S_ISDIR(st.st_mode)) { /* used in place, e.g. a package baked into the image */
      out->dir = xstrdup(req->path);
      return NULL;
    }
    if (!S_ISREG(st.st_mode)) { /* e.g. a FIFO would block the unpack program's open */
      *msg = xasprintf("%s is neither a directory nor a regular file", req->path);
      return E_BAD_CODE_PACKAGE;
    }
    zip_path = req->path;
    body_len = 0;
  }
  /* A name no earlier run of the agent used: /init restarts the agent after a crash, and the
   * tmpfs keeps what the previous run unpacked. */
  char *dest;
  for (struct stat st;;) {
    dest = xasprintf("%s/%s/code-%lu", cfg->code_root, instance_id[0] ? instance_id : "unassigned",
                     ++code_seq);
    if (lstat(dest, &st) != 0 && errno == ENOENT) break;
    free(dest);
  }
  if (mkdir_parents(dest) != 0) {
    *msg = xasprintf("mkdir %s: %s", dest, strerror(errno));
    free(dest);
    return E_INTERNAL;
  }
  if (run_unpack(cfg, zip_path, body, body_len, req->code_sha256, dest, out, msg) != 0) {
    remove_tree(dest); /* it may hold part of the package */
    free(dest);
    return E_BAD_CODE_PACKAGE;
  }
  out->dir = dest;
  out->owned = true;
  return NULL;
}
