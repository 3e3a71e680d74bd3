/* Frames on the wire (PROTOCOL.md sections 2 and 5): CRC, encoder, decoder with resync. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "frame.h"

static const uint8_t MAGIC[4] = {0x46, 0x41, 0x41, 0x47};

/* Bitwise CRC-32 (IEEE): it only ever covers 20 header bytes, so a table (or zlib) would be
 * more code for the guest to run, not less time. */
uint32_t crc32_ieee(const void *p, size_t n) {
  const uint8_t *s = p;
  uint32_t c = 0xFFFFFFFFu;
  while (n--) {
    c ^= *s++;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
  }
  return c ^ 0xFFFFFFFFu;
}

static void put_u32(uint8_t *b, uint32_t v) {
  b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void frame_header(uint8_t out[FRAME_HEADER_LEN], uint8_t type, uint64_t id, uint32_t payload_len) {
  memcpy(out, MAGIC, 4);
  out[4] = 1;
  out[5] = type;
  out[6] = out[7] = 0;
  put_u32(out + 8, (uint32_t)(id >> 32));
  put_u32(out + 12, (uint32_t)id);
  put_u32(out + 16, payload_len);
  put_u32(out + 20, crc32_ieee(out, 20));
}

bool frame_type_known(uint8_t t) {
  return (t >= T_READY && t <= T_SHUTDOWN) || (t >= T_READY_REPLY && t <= T_SHUTDOWN_ACK) ||
         t == T_ERROR;
}

void frame_free(frame_t *f) {
  free(f->payload);
  memset(f, 0, sizeof *f);
}

/* ---- sending ------------------------------------------------------------------------------ */

static pthread_mutex_t send_lock = PTHREAD_MUTEX_INITIALIZER;
static int send_fd = -1;

void connection_set(int fd) {
  pthread_mutex_lock(&send_lock);
  send_fd = fd;
  pthread_mutex_unlock(&send_lock);
}

static int write_all(int fd, struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t w = writev(fd, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    while (n > 0 && (size_t)w >= iov->iov_len) w -= (ssize_t)iov->iov_len, iov++, n--;
    if (n > 0) iov->iov_base = (char *)iov->iov_base + w, iov->iov_len -= (size_t)w;
  }
  return 0;
}

/* Writes one frame on fd; the caller holds send_lock. */
static int write_frame(int fd, uint8_t type, uint64_t id, const char *meta, size_t meta_len,
                       const void *body, size_t body_len) {
  uint8_t header[FRAME_HEADER_LEN], mlen[4];
  bool empty = meta_len == 0 && body_len == 0;
  frame_header(header, type, id, empty ? 0 : (uint32_t)(4 + meta_len + body_len));
  put_u32(mlen, (uint32_t)meta_len);
  struct iovec iov[4] = {{header, sizeof header}, {mlen, 4}, {(void *)meta, meta_len},
                         {(void *)body, body_len}};
  if (fd < 0) {
    errno = ENOTCONN;
    return -1;
  }
  return write_all(fd, iov, empty ? 1 : 4);
}

int send_frame(uint8_t type, uint64_t id, const char *meta, size_t meta_len, const void *body,
               size_t body_len) {
  if (meta_len > MAX_META || body_len > MAX_BODY) {
    agent_log("frame type 0x%02x (request %llu) too large: meta %zu, body %zu bytes", type,
              (unsigned long long)id, meta_len, body_len);
    send_error(id, E_INTERNAL, "reply too large for a frame", NULL);
    return -1;
  }
  pthread_mutex_lock(&send_lock);
  int rc = write_frame(send_fd, type, id, meta, meta_len, body, body_len);
  int err = errno;
  pthread_mutex_unlock(&send_lock);
  if (rc) agent_log("send type 0x%02x (request %llu): %s", type, (unsigned long long)id, strerror(err));
  return rc;
}

void connection_begin(int fd, uint8_t type, const char *meta, size_t meta_len) {
  pthread_mutex_lock(&send_lock);
  send_fd = fd;
  int rc = write_frame(fd, type, 0, meta, meta_len, NULL, 0);
  int err = errno;
  pthread_mutex_unlock(&send_lock);
  if (rc) agent_log("announce READY: %s", strerror(err));
}

void send_error(uint64_t id, const char *code, const char *message, const char *detail) {
  buf_t meta = {0};
  json_writer w;
  size_t mlen = strlen(message);
  size_t dlen = detail ? strlen(detail) : 0;
  size_t dstart = detail ? utf8_clip_tail_start(detail, dlen, MAX_ERROR_DETAIL) : 0;
  jw_begin(&w, &meta);
  jw_string(&w, "code", code);
  jw_string_n(&w, "message", message, utf8_clip_head(message, mlen > MAX_ERROR_MESSAGE ? MAX_ERROR_MESSAGE : mlen));
  if (detail && dlen > dstart) jw_string_n(&w, "detail", detail + dstart, dlen - dstart);
  jw_end(&w);
  /* Escaping can grow text sixfold; the clipped fields above keep it under 64 KiB except for
   * control-character-heavy details, which are cut further. */
  if (meta.len > MAX_META && detail) {
    buf_free(&meta);
    jw_begin(&w, &meta);
    jw_string(&w, "code", code);
    jw_string_n(&w, "message", message, utf8_clip_head(message, mlen > 1024 ? 1024 : mlen));
    size_t s = utf8_clip_tail_start(detail, dlen, 4096);
    jw_string_n(&w, "detail", detail + s, dlen - s);
    jw_end(&w);
  }
  send_frame(T_ERROR, id, meta.data, meta.len, NULL, 0);
  buf_free(&meta);
}

/* ---- decoding ----------------------------------------------------------------------------- */

void decoder_reset(decoder *d, int fd) {
  d->fd = fd;
  d->start = d->end = 0;
  d->scanning = false;
}

/* Makes at least n (<= sizeof buf) bytes readable. 1 ok, 0 EOF, -1 error. */
static int fill(decoder *d, size_t n) {
  if (d->end - d->start >= n) return 1;
  if (d->start > 0) {
    memmove(d->buf, d->buf + d->start, d->end - d->start);
    d->end -= d->start;
    d->start = 0;
  }
  while (d->end < n) {
    ssize_t r = read(d->fd, d->buf + d->end, sizeof d->buf - d->end);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) return 0;
    d->end += (size_t)r;
  }
  return 1;
}

static decode_status ended(int rc) { return rc == 0 ? DECODE_EOF : DECODE_IO_ERROR; }

/* Consumes n bytes of payload without keeping them (frames the agent rejects). */
static int skip(decoder *d, size_t n) {
  while (n > 0) {
    if (d->end == d->start) {
      int rc = fill(d, 1);
      if (rc <= 0) return rc;
    }
    size_t k = d->end - d->start < n ? d->end - d->start : n;
    d->start += k;
    n -= k;
  }
  return 1;
}

static bool header_ok(const uint8_t *h) {
  return memcmp(h, MAGIC, 4) == 0 && get_u32(h + 20) == crc32_ieee(h, 20);
}

/* Drops bytes up to the next candidate magic (keeps a possible partial magic at the end). */
static int skip_to_magic(decoder *d) {
  for (;;) {
    if (d->end == d->start) {
      int rc = fill(d, 1);
      if (rc <= 0) return rc;
    }
    uint8_t *p = d->buf + d->start;
    size_t n = d->end - d->start;
    for (size_t i = 0; i + 4 <= n; i++)
      if (memcmp(p + i, MAGIC, 4) == 0) {
        d->start += i;
        return 1;
      }
    if (n > 3) d->start = d->end - 3;
    int rc = fill(d, d->end - d->start + 1);
    if (rc <= 0) return rc;
  }
}

static decode_status reject(frame_error *e, const char *code, uint64_t id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static decode_status reject(frame_error *e, const char *code, uint64_t id, const char *fmt, ...) {
  e->code = code;
  e->id = id;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  return DECODE_REJECTED;
}

decode_status decoder_next(decoder *d, frame_t *f, frame_error *e) {
  memset(f, 0, sizeof *f);
  for (;;) {
    int rc = fill(d, FRAME_HEADER_LEN);
    if (rc <= 0) return ended(rc);
    const uint8_t *h = d->buf + d->start;
    if (!header_ok(h)) {
      bool magic = memcmp(h, MAGIC, 4) == 0;
      d->start++;
      if (!d->scanning) {
        d->scanning = true;
        return reject(e, E_BAD_HEADER, 0, "%s", magic ? "header CRC mismatch" : "bad magic");
      }
      rc = skip_to_magic(d);
      if (rc <= 0) return ended(rc);
      continue;
    }
    d->scanning = false;
    uint8_t version = h[4], type = h[5];
    uint64_t id = (uint64_t)get_u32(h + 8) << 32 | get_u32(h + 12);
    uint32_t len = get_u32(h + 16);
    d->start += FRAME_HEADER_LEN;
    const char *code = NULL;
    char why[120];
    if (version != 1) {
      code = E_UNSUPPORTED_VERSION;
      snprintf(why, sizeof why, "unsupported protocol version: %u (speaks 1)", version);
    } else if (len > MAX_PAYLOAD) {
      code = E_FRAME_TOO_LARGE;
      snprintf(why, sizeof why, "frame too large: payload %u bytes > %d", len, MAX_PAYLOAD);
    } else if (!frame_type_known(type)) {
      code = E_UNKNOWN_TYPE;
      snprintf(why, sizeof why, "unknown message type: 0x%02x", type);
    }
    if (code) {
      rc = skip(d, len);
      if (rc <= 0) return ended(rc);
      return reject(e, code, id, "%s", why);
    }
    if (len == 0) { /* READY and PING: nothing to allocate */
      f->type = type;
      f->id = id;
      return DECODE_FRAME;
    }
    uint8_t *payload = xmalloc(len);
    size_t have = d->end - d->start < len ? d->end - d->start : len;
    memcpy(payload, d->buf + d->start, have);
    d->start += have;
    while (have < len) {
      ssize_t r = read(d->fd, payload + have, len - have);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        free(payload);
        return r == 0 ? DECODE_EOF : DECODE_IO_ERROR;
      }
      have += (size_t)r;
    }
    f->type = type;
    f->id = id;
    f->payload = payload;
    if (len < 4) {
      frame_free(f);
      return reject(e, E_BAD_PAYLOAD, id, "malformed payload: payload of %u bytes has no meta length", len);
    }
    uint32_t m = get_u32(payload);
    if (m > MAX_META) {
      frame_free(f);
      return reject(e, E_BAD_PAYLOAD, id, "malformed payload: meta length %u > %d", m, MAX_META);
    }
    if (m > len - 4) {
      frame_free(f);
      return reject(e, E_BAD_PAYLOAD, id, "malformed payload: meta length %u exceeds payload (%u bytes)", m, len - 4);
    }
    if (len - 4 - m > MAX_BODY) {
      frame_free(f);
      return reject(e, E_BAD_PAYLOAD, id, "malformed payload: body %u bytes > %d", len - 4 - m, MAX_BODY);
    }
    f->meta = (const char *)payload + 4;
    f->meta_len = m;
    f->body = payload + 4 + m;
    f->body_len = len - 4 - m;
    return DECODE_FRAME;
  }
}
