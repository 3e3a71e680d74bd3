/* Growable byte buffers and allocation helpers that abort on exhaustion (see agent.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

static void out_of_memory(size_t n) {
  /* No allocation from here on: write(2) a fixed message and stop. */
  static const char msg[] = "faaster-agent: out of memory\n";
  (void)n;
  fwrite(msg, 1, sizeof msg - 1, stderr);
  abort();
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) out_of_memory(n);
  return p;
}

void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) out_of_memory(n);
  return q;
}

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

static void reserve(buf_t *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) cap *= 2;
  b->data = xrealloc(b->data, cap);
  b->cap = cap;
}

void buf_append(buf_t *b, const void *p, size_t n) {
  reserve(b, n);
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0;
}

void buf_puts(buf_t *b, const char *s) { buf_append(b, s, strlen(s)); }

static void buf_vprintf(buf_t *b, const char *fmt, va_list ap) {
  va_list again;
  va_copy(again, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  if (n < 0) n = 0;
  reserve(b, (size_t)n);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
  va_end(again);
  b->len += (size_t)n;
}

void buf_printf(buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(b, fmt, ap);
  va_end(ap);
}

char *xasprintf(const char *fmt, ...) {
  buf_t b = {0};
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&b, fmt, ap);
  va_end(ap);
  return buf_steal(&b);
}

void buf_reset(buf_t *b) {
  b->len = 0;
  if (b->data) b->data[0] = 0;
}

void buf_free(buf_t *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

char *buf_steal(buf_t *b) {
  if (!b->data) reserve(b, 0), b->data[0] = 0;
  char *s = b->data;
  b->data = NULL;
  b->len = b->cap = 0;
  return s;
}

void buf_append_tail(buf_t *b, const void *p, size_t n, size_t max) {
  const char *s = p;
  if (n >= max) {
    buf_reset(b);
    buf_append(b, s + (n - max), max);
    return;
  }
  if (b->len + n > max) {
    size_t drop = b->len + n - max;
    memmove(b->data, b->data + drop, b->len - drop);
    b->len -= drop;
  }
  buf_append(b, s, n);
}
