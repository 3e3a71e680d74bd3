/* LOAD_CODE: the request, its checks, and placing the package (load.c). */
#ifndef FAASTER_LOAD_H
#define FAASTER_LOAD_H

#include "agent.h"
#include "server.h"

typedef struct {
  const char *runtime, *handler, *path, *share, *code_sha256, *function_name, *function_version;
  env_var *env; /* owned copies */
  size_t env_count;
  char *nul_env; /* name of a variable whose value holds NUL (invalid), or NULL */
  int64_t memory_mib;
} load_request;

/* Reads the request from meta; false with a message (bad_meta) on wrong types. The strings
 * point into meta. */
bool load_request_parse(const json *meta, load_request *req, char *err, size_t errlen);
/* PROTOCOL.md 4.3's rules; false with every problem in err (invalid_request). */
bool load_request_validate(const load_request *req, size_t body_len, char *err, size_t errlen);
void load_request_free(load_request *req);

typedef struct {
  char *dir;       /* the package directory (malloc'd) */
  bool owned;      /* the agent made dir and removes it when the code is replaced */
  int64_t files, bytes;
} load_result;

/* Places the package: in place from a share or a directory, or unpacked from the zip (body or
 * path) by the unpack program into <code_root>/<instance or "unassigned">/code-<n>. NULL on
 * success, else the ERROR code with a message in *msg (malloc'd). */
const char *load_package(const load_request *req, const uint8_t *body, size_t body_len,
                         const server_config *cfg, const char *instance_id, load_result *out,
                         char **msg);

/* Removes dir and everything below it, staying on its file system. */
void remove_tree(const char *dir);

#endif
