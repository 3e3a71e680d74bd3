/*
 * faaster-agent, the guest agent in C: shared declarations.
 *
 * Why C and not Go: under TCG a clone restored from a template pays for QEMU translating
 * every block of guest code it runs before its first answer (10-20 us per block here). The Go
 * agent's runtime (scheduler, sysmon, netpoller, thread hand-offs) put 3,500-5,500 blocks on
 * that path even in a minimal program; a C agent answering READY needs about 2,200 (see
 * docs/micro-vm.md, "Guest agent in C"). The protocol is guest/PROTOCOL.md; the Go package
 * faaster.dev/guest/protocol stays its reference for the host side and the byte layout.
 *
 * Module map: buf.c (byte buffers), json.c (reader and writer), frame.c (frames, CRC,
 * decoder), log.c (log lines, clock), server.c (dispatch, jobs, status), load.c (LOAD_CODE), identity.c
 * (SET_IDENTITY), provided.c and python.c (runtimes), main.c (flags, port, serve loop).
 */
#ifndef FAASTER_AGENT_H
#define FAASTER_AGENT_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_VERSION "0.2.0"

/* ---- limits (PROTOCOL.md section 2.3 and 4) ---------------------------------------------- */
#define FRAME_HEADER_LEN 24
#define MAX_META 65536
#define MAX_BODY 6291456
#define MAX_PAYLOAD (4 + MAX_META + MAX_BODY)
#define MIN_ENTROPY 32
#define MAX_ENTROPY 4096
#define STDERR_TAIL_MAX 4096
#define MAX_TIMEOUT_MS (15 * 60 * 1000)
#define DEFAULT_TIMEOUT_MS 3000
#define MAX_ERROR_TYPE 256
#define MAX_ERROR_MESSAGE 4096
#define MAX_TRACE (16 << 10)
#define MAX_ERROR_DETAIL (32 << 10)

/* ---- message types and error codes (PROTOCOL.md section 3 and 4.6) ------------------------- */
enum {
  T_READY = 0x01, T_PING = 0x02, T_SET_IDENTITY = 0x03, T_LOAD_CODE = 0x04, T_INVOKE = 0x05,
  T_SHUTDOWN = 0x06, T_READY_REPLY = 0x81, T_PONG = 0x82, T_IDENTITY_SET = 0x83,
  T_CODE_LOADED = 0x84, T_RESULT = 0x85, T_SHUTDOWN_ACK = 0x86, T_ERROR = 0xFF,
};

#define E_BAD_HEADER "bad_header"
#define E_UNSUPPORTED_VERSION "unsupported_version"
#define E_FRAME_TOO_LARGE "frame_too_large"
#define E_UNKNOWN_TYPE "unknown_type"
#define E_BAD_PAYLOAD "bad_payload"
#define E_BAD_META "bad_meta"
#define E_INVALID_REQUEST "invalid_request"
#define E_BUSY "busy"
#define E_NO_CODE "no_code"
#define E_IDENTITY_FAILED "identity_failed"
#define E_BAD_CODE_PACKAGE "bad_code_package"
#define E_CODE_LOAD_FAILED "code_load_failed"
#define E_RUNTIME_UNAVAILABLE "runtime_unavailable"
#define E_INTERNAL "internal"

#define RUNTIME_PROVIDED "provided"
#define RUNTIME_PYTHON3 "python3"
#define STATUS_OK "ok"
#define STATUS_FUNCTION_ERROR "function_error"
#define STATUS_TIMEOUT "timeout"

/* ---- logging and time (log.c) ------------------------------------------------------------- */
/* One line on stderr (the console), prefixed "faaster-agent: " and the monotonic time. */
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Monotonic clock in microseconds. */
int64_t now_us(void);
/* Set by SHUTDOWN: runtimes end what they run (kill processes, stop waiting) when they see it. */
extern atomic_bool agent_stopping;

/* ---- growable byte buffer (buf.c) ------------------------------------------------------------
 * Allocation failure aborts the agent: a guest out of memory can't answer anyway, and the host
 * treats a silent agent as a failed instance. */
typedef struct {
  char *data; /* always NUL-terminated after any append (the NUL is not counted in len) */
  size_t len, cap;
} buf_t;

void buf_append(buf_t *b, const void *p, size_t n);
void buf_puts(buf_t *b, const char *s);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(buf_t *b);             /* len = 0, keeps the memory */
void buf_free(buf_t *b);              /* frees and zeroes */
char *buf_steal(buf_t *b);            /* returns data (NUL-terminated, never NULL), b is zeroed */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Keeps the last max bytes of everything appended (stderr tails). */
void buf_append_tail(buf_t *b, const void *p, size_t n, size_t max);

/* ---- JSON (json.c) ---------------------------------------------------------------------------
 * Hand-written: the agent is a static binary and Debian ships no static JSON library (cJSON
 * and jansson come as shared objects only); what the protocol needs is small (RFC 8259
 * objects, strings, numbers, booleans). */
typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json json;
struct json {
  json_type type;
  bool boolean;       /* JSON_BOOL */
  double number;      /* JSON_NUMBER */
  bool is_int;        /* JSON_NUMBER written without fraction or exponent and fits int64 */
  int64_t integer;    /* JSON_NUMBER when is_int */
  char *string;       /* JSON_STRING, decoded, NUL-terminated */
  size_t string_len;  /* may be > strlen(string) when the text held \u0000 */
  size_t count;       /* JSON_ARRAY / JSON_OBJECT: number of elements / members */
  char **keys;        /* JSON_OBJECT: member names, decoded, NUL-terminated */
  json **items;       /* JSON_ARRAY elements / JSON_OBJECT member values */
};

/* Parses exactly one JSON value (surrounding whitespace allowed). NULL on error, with a
 * message in err. Nesting deeper than 64 and invalid UTF-8 are errors. */
json *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(json *v);
/* Member of an object: the last one named key (duplicates: last wins, as Go's decoder).
 * NULL when absent or when obj is not an object. */
const json *json_get(const json *obj, const char *key);

/* Typed reads of an optional member of a request's meta. Absent or null: *out untouched, true.
 * Present with another type (or a fraction for an int, or a string holding NUL): false and a
 * message "field <key>: want <type>" in err. */
bool json_opt_string(const json *obj, const char *key, const char **out, char *err, size_t errlen);
bool json_opt_int(const json *obj, const char *key, int64_t *out, char *err, size_t errlen);
bool json_opt_bool(const json *obj, const char *key, bool *out, char *err, size_t errlen);

/* Writer. Objects only nest (no arrays needed). Strings are escaped per RFC 8259; invalid
 * UTF-8 in a value is replaced by U+FFFD (as Go's strings.ToValidUTF8). */
typedef struct {
  buf_t *out;
  int depth;
  bool first[16];
} json_writer;

void jw_begin(json_writer *w, buf_t *out);   /* appends "{" */
void jw_end(json_writer *w);                 /* closes the innermost object */
void jw_object(json_writer *w, const char *key);  /* opens a nested object member */
void jw_string(json_writer *w, const char *key, const char *value);
void jw_string_n(json_writer *w, const char *key, const char *value, size_t len);
void jw_int(json_writer *w, const char *key, int64_t value);
void jw_double(json_writer *w, const char *key, double value); /* shortest text that reads back */
void jw_bool(json_writer *w, const char *key, bool value);
/* Appends s[0..n) as a JSON string literal (quotes included), U+FFFD for invalid UTF-8. */
void json_quote(buf_t *out, const char *s, size_t n);
/* Length of the longest prefix of s[0..n) that does not cut a UTF-8 sequence (for clipping). */
size_t utf8_clip_head(const char *s, size_t n);
/* Offset where a tail of at most n bytes may start without cutting a UTF-8 sequence. */
size_t utf8_clip_tail_start(const char *s, size_t len, size_t n);

/* ---- frames (frame.c) ------------------------------------------------------------------------ */
uint32_t crc32_ieee(const void *p, size_t n);

typedef struct {
  uint8_t type;
  uint64_t id;
  uint8_t *payload;      /* owned: meta and body point into it */
  const char *meta;      /* meta JSON text (not NUL-terminated), meta_len 0 = none */
  uint32_t meta_len;
  const uint8_t *body;
  size_t body_len;
} frame_t;

void frame_free(frame_t *f);

/* Sends one frame on the current connection (thread-safe; meta may be NULL). Returns 0, or -1
 * when the write failed (the host went away: the frame is lost, the caller only logs). */
int send_frame(uint8_t type, uint64_t id, const char *meta, size_t meta_len, const void *body,
               size_t body_len);
/* Sends ERROR with code, message (clipped to 4 KiB) and detail (last 32 KiB; NULL = none). */
void send_error(uint64_t id, const char *code, const char *message, const char *detail);

/* ---- child processes (process.c) -------------------------------------------------------------
 * Starts path (searched in the agent's PATH when it has no '/') with argv and envp in its own
 * process group, in dir (NULL: the agent's), with default signal dispositions and an empty
 * signal mask (the agent ignores SIGPIPE), fds[i] as its descriptor i for i < nfds (-1:
 * /dev/null; any descriptor, also one below nfds; nfds <= SPAWN_FDS_MAX). 0 or an errno: musl
 * reports a failed chdir or execve through the result, having reaped that child. */
#include <sys/types.h>
#define SPAWN_FDS_MAX 8
int spawn_in_group(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                   const char *dir, const int *fds, int nfds);
/* Runs path to its end (as spawn_in_group, in the agent's directory): in[0..in_len) on its
 * stdin (none: /dev/null), its stdout and stderr together appended to out (up to about
 * max_out bytes), *status as waitpid gives it. SIGKILLed after timeout_ms (<= 0: no deadline)
 * or at SHUTDOWN. 0 when it ran, ETIMEDOUT or ECANCELED when it was killed so, ECHILD when it
 * could not be waited for, or the errno that kept it from starting. */
int run_captured(const char *path, char *const argv[], char *const envp[], const void *in,
                 size_t in_len, int64_t timeout_ms, buf_t *out, size_t max_out, int *status);
/* One write of data[*off..len) to the non-blocking pipe *fd, advancing *off: whether it wrote
 * something. Once all is written, or on an error other than "not now" (EPIPE: the reader doesn't
 * want it), the pipe is closed and *fd set to -1. */
bool feed_pipe(int *fd, const void *data, size_t len, size_t *off);

/* ---- runtimes (provided.c, python.c) --------------------------------------------------------- */
typedef struct {
  char *key, *value;
} env_var;

/* What LOAD_CODE gave: owned by the server, stable while the code stays loaded. */
typedef struct {
  char *dir;               /* the package directory */
  char *handler;           /* may be "" */
  env_var *env;            /* function environment, validated (no '=' or NUL in keys) */
  size_t env_count;
  char *function_name, *function_version, *instance_id;  /* may be "" */
  int64_t memory_mib;      /* 0 = not given */
} code_t;

typedef struct {
  const char *id;          /* the platform's invocation id, may be "" */
  const uint8_t *event;
  size_t event_len;
  int64_t timeout_ms;      /* > 0 */
} invocation_t;

/* A RESULT. The server clips the text fields; runtimes fill what they have. */
typedef struct {
  const char *status;      /* STATUS_OK, STATUS_FUNCTION_ERROR or STATUS_TIMEOUT (static) */
  buf_t payload;           /* the response, or stdout of a failed provided bootstrap */
  char *error_type, *error_message, *trace;  /* malloc'd or NULL */
  buf_t stderr_tail;       /* last STDERR_TAIL_MAX bytes of the function's stderr */
  bool has_exit_code;
  int exit_code;           /* provided: exit status, 128+signal when killed */
  int64_t duration_us;
} result_t;

void result_free(result_t *r);

typedef enum { LOAD_OK = 0, LOAD_FAILED = 1, LOAD_UNAVAILABLE = 2 } load_status;

typedef struct {
  const char *name;
  bool (*ready)(void);
  /* Takes the code. LOAD_FAILED: the package's fault (code_load_failed, msg and detail
   * malloc'd); LOAD_UNAVAILABLE: the runtime's (runtime_unavailable, msg malloc'd). */
  load_status (*load)(const code_t *code, char **msg, char **detail);
  /* Runs one invocation of the loaded code; never fails otherwise than through r. */
  void (*invoke)(const code_t *code, const invocation_t *inv, result_t *r);
  /* Long-lived processes drop cached randomness (PROTOCOL.md 6.3). 0, or -1 and a message. */
  int (*reseed)(char **msg);
  void (*close)(void);
} runtime_ops;

extern const runtime_ops provided_runtime;
extern const runtime_ops python_runtime;
/* Configures the python3 runtime (interpreter and bootstrap.py paths) and starts its helper
 * before the first READY, so a template snapshot holds a warm interpreter. 0 or -1 (logged;
 * LOAD_CODE retries). */
int python_start(const char *interpreter, const char *script);

/* The base environment of every function process (PROTOCOL.md 6.1), NULL-terminated. */
extern const char *const function_base_env[];

/* ---- identity (identity.c) ------------------------------------------------------------------- */
typedef struct {
  const char *instance_id, *hostname, *ip, *gateway, *mac, *iface;  /* NULL when not given */
  int64_t prefix;                                                      /* 0 when not given */
  int64_t unix_time_ms;                                                /* 0 when not given */
} identity_request;

/* Reads the request from meta (bad_meta on wrong types: returns false, message in err). */
bool identity_parse(const json *meta, identity_request *req, char *err, size_t errlen);
/* Checks everything before anything is applied (invalid_request: false, message in err). */
bool identity_validate(const identity_request *req, size_t entropy_len, char *err, size_t errlen);
/* Applies a validated request; appends the IdentityReply members (not the braces) to w,
 * stepsMicros included, with job_start_us as its "jobStart" (frame read to job running).
 * real = false (flag -guest=false) applies nothing and reports network "not_requested".
 * On failure returns false with a message in err; w then holds the members applied so far. */
bool identity_apply(const identity_request *req, const uint8_t *entropy, size_t entropy_len,
                    bool real, int64_t job_start_us, json_writer *w, char *err, size_t errlen);
/* Has every runtime drop cached randomness (server.c); 0 or -1 with a message. */
int runtimes_reseed(char **msg);

#endif
