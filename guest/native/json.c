/* JSON reader and writer for the protocol's meta objects (see agent.h for why hand-written). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

#define MAX_DEPTH 512

typedef struct {
  const char *p, *end;
  char *err;
  size_t errlen;
  int depth;
} parser;

static json *fail(parser *ps, const char *what) {
  if (ps->err && ps->errlen && !ps->err[0]) snprintf(ps->err, ps->errlen, "%s", what);
  return NULL;
}

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static json *new_value(json_type t) {
  json *v = xmalloc(sizeof *v);
  memset(v, 0, sizeof *v);
  v->type = t;
  return v;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned min;
  if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
  else return 0;
  if (n < len) return 0;
  unsigned cp = c & (0xFF >> (len + 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

static void put_utf8(buf_t *b, unsigned cp) {
  char o[4];
  size_t n;
  if (cp < 0x80) o[0] = (char)cp, n = 1;
  else if (cp < 0x800) o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
  else if (cp < 0x10000)
    o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
    o[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
  else
    o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
  buf_append(b, o, n);
}

static int hex4(parser *ps, unsigned *out) {
  if (ps->end - ps->p < 4) return -1;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = ps->p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  ps->p += 4;
  *out = v;
  return 0;
}

/* Reads a string literal at ps->p (on the opening quote) into b. */
static int parse_string_into(parser *ps, buf_t *b) {
  ps->p++;
  while (ps->p < ps->end) {
    unsigned char c = (unsigned char)*ps->p;
    if (c == '"') {
      ps->p++;
      return 0;
    }
    if (c < 0x20) return fail(ps, "control character in string"), -1;
    if (c == '\\') {
      if (++ps->p >= ps->end) break;
      char e = *ps->p++;
      switch (e) {
        case '"': buf_append(b, "\"", 1); break;
        case '\\': buf_append(b, "\\", 1); break;
        case '/': buf_append(b, "/", 1); break;
        case 'b': buf_append(b, "\b", 1); break;
        case 'f': buf_append(b, "\f", 1); break;
        case 'n': buf_append(b, "\n", 1); break;
        case 'r': buf_append(b, "\r", 1); break;
        case 't': buf_append(b, "\t", 1); break;
        case 'u': {
          unsigned cp;
          if (hex4(ps, &cp)) return fail(ps, "bad \\u escape"), -1;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo;
            if (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
              const char *save = ps->p;
              ps->p += 2;
              if (!hex4(ps, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              } else {
                ps->p = save;
                cp = 0xFFFD;
              }
            } else {
              cp = 0xFFFD;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD; /* a lone surrogate decodes to U+FFFD, as in Go */
          }
          put_utf8(b, cp);
          break;
        }
        default: return fail(ps, "bad escape in string"), -1;
      }
      continue;
    }
    size_t n = utf8_seq((const unsigned char *)ps->p, (size_t)(ps->end - ps->p));
    if (!n) return fail(ps, "invalid UTF-8 in string"), -1;
    buf_append(b, ps->p, n);
    ps->p += n;
  }
  return fail(ps, "unterminated string"), -1;
}

static json *parse_value(parser *ps);

static json *parse_number(parser *ps) {
  const char *s = ps->p;
  bool integral = true;
  if (ps->p < ps->end && *ps->p == '-') ps->p++;
  if (ps->p >= ps->end) return fail(ps, "bad number");
  if (*ps->p == '0') ps->p++;
  else if (*ps->p >= '1' && *ps->p <= '9') while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
  else return fail(ps, "bad number");
  if (ps->p < ps->end && *ps->p == '.') {
    integral = false;
    ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') return fail(ps, "bad number");
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    integral = false;
    ps->p++;
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') return fail(ps, "bad number");
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
  }
  char small[64];
  size_t n = (size_t)(ps->p - s);
  /* Longer than an int64: a double (the protocol's integers are short; an unknown field may
   * hold anything). */
  if (n > 20) integral = false;
  char *text = n < sizeof small ? small : xmalloc(n + 1);
  memcpy(text, s, n);
  text[n] = 0;
  json *v = new_value(JSON_NUMBER);
  v->number = strtod(text, NULL);
  if (integral) {
    errno = 0;
    long long i = strtoll(text, NULL, 10);
    if (errno == 0) v->is_int = true, v->integer = i;
  }
  if (text != small) free(text);
  return v;
}

static json *parse_object(parser *ps) {
  ps->p++;
  json *v = new_value(JSON_OBJECT);
  size_t cap = 0;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
    return v;
  }
  for (;;) {
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != '"') goto bad;
    buf_t key = {0};
    if (parse_string_into(ps, &key)) {
      buf_free(&key);
      goto bad;
    }
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != ':') {
      buf_free(&key);
      goto bad;
    }
    ps->p++;
    json *item = parse_value(ps);
    if (!item) {
      buf_free(&key);
      json_free(v);
      return NULL;
    }
    if (v->count == cap) {
      cap = cap ? cap * 2 : 8;
      v->keys = xrealloc(v->keys, cap * sizeof *v->keys);
      v->items = xrealloc(v->items, cap * sizeof *v->items);
    }
    if (key.data && key.len != strlen(key.data)) { /* a NUL inside: a name no field or variable can have */
      key.len = strlen(key.data);
      buf_puts(&key, "=(NUL)");
    }
    v->keys[v->count] = buf_steal(&key);
    v->items[v->count++] = item;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == '}') {
      ps->p++;
      return v;
    }
    goto bad;
  }
bad:
  json_free(v);
  return fail(ps, "malformed object");
}

static json *parse_array(parser *ps) {
  ps->p++;
  json *v = new_value(JSON_ARRAY);
  size_t cap = 0;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
    return v;
  }
  for (;;) {
    json *item = parse_value(ps);
    if (!item) {
      json_free(v);
      return NULL;
    }
    if (v->count == cap) {
      cap = cap ? cap * 2 : 8;
      v->items = xrealloc(v->items, cap * sizeof *v->items);
    }
    v->items[v->count++] = item;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == ']') {
      ps->p++;
      return v;
    }
    json_free(v);
    return fail(ps, "malformed array");
  }
}

static bool literal(parser *ps, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return false;
  ps->p += n;
  return true;
}

static json *parse_value(parser *ps) {
  skip_ws(ps);
  if (ps->p >= ps->end) return fail(ps, "unexpected end of JSON");
  if (++ps->depth > MAX_DEPTH) return fail(ps, "JSON nested too deeply");
  json *v = NULL;
  switch (*ps->p) {
    case '{': v = parse_object(ps); break;
    case '[': v = parse_array(ps); break;
    case '"': {
      buf_t s = {0};
      if (parse_string_into(ps, &s)) {
        buf_free(&s);
        break;
      }
      v = new_value(JSON_STRING);
      v->string_len = s.len;
      v->string = buf_steal(&s);
      break;
    }
    case 't':
      if (literal(ps, "true")) v = new_value(JSON_BOOL), v->boolean = true;
      else fail(ps, "invalid literal");
      break;
    case 'f':
      if (literal(ps, "false")) v = new_value(JSON_BOOL);
      else fail(ps, "invalid literal");
      break;
    case 'n':
      if (literal(ps, "null")) v = new_value(JSON_NULL);
      else fail(ps, "invalid literal");
      break;
    default:
      if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) v = parse_number(ps);
      else fail(ps, "invalid character");
  }
  ps->depth--;
  return v;
}

json *json_parse(const char *text, size_t len, char *err, size_t errlen) {
  if (err && errlen) err[0] = 0;
  parser ps = {text, text + len, err, errlen, 0};
  json *v = parse_value(&ps);
  if (!v) return NULL;
  skip_ws(&ps);
  if (ps.p != ps.end) {
    json_free(v);
    return fail(&ps, "data after the JSON value");
  }
  return v;
}

void json_free(json *v) {
  if (!v) return;
  for (size_t i = 0; i < v->count; i++) {
    if (v->keys) free(v->keys[i]);
    json_free(v->items[i]);
  }
  free(v->keys);
  free(v->items);
  free(v->string);
  free(v);
}

const json *json_get(const json *obj, const char *key) {
  if (!obj || obj->type != JSON_OBJECT) return NULL;
  for (size_t i = obj->count; i-- > 0;)
    if (strcmp(obj->keys[i], key) == 0) return obj->items[i];
  return NULL;
}

static bool wrong(const char *key, const char *want, char *err, size_t errlen) {
  snprintf(err, errlen, "field %s: want %s", key, want);
  return false;
}

bool json_opt_string(const json *obj, const char *key, const char **out, char *err, size_t errlen) {
  const json *v = json_get(obj, key);
  if (!v || v->type == JSON_NULL) return true;
  if (v->type != JSON_STRING || v->string_len != strlen(v->string))
    return wrong(key, "a string without NUL", err, errlen);
  *out = v->string;
  return true;
}

bool json_opt_int(const json *obj, const char *key, int64_t *out, char *err, size_t errlen) {
  const json *v = json_get(obj, key);
  if (!v || v->type == JSON_NULL) return true;
  if (v->type != JSON_NUMBER || !v->is_int) return wrong(key, "an integer", err, errlen);
  *out = v->integer;
  return true;
}

bool json_opt_bool(const json *obj, const char *key, bool *out, char *err, size_t errlen) {
  const json *v = json_get(obj, key);
  if (!v || v->type == JSON_NULL) return true;
  if (v->type != JSON_BOOL) return wrong(key, "a boolean", err, errlen);
  *out = v->boolean;
  return true;
}

/* ---- writer ---------------------------------------------------------------------------- */

void json_quote(buf_t *out, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  buf_append(out, "\"", 1);
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x80) {
      size_t k = utf8_seq((const unsigned char *)s + i, n - i);
      if (k) buf_append(out, s + i, k), i += k;
      else buf_append(out, "\xEF\xBF\xBD", 3), i++;
      continue;
    }
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      buf_append(out, e, 2);
    } else if (c == '\n') buf_append(out, "\\n", 2);
    else if (c == '\r') buf_append(out, "\\r", 2);
    else if (c == '\t') buf_append(out, "\\t", 2);
    else if (c < 0x20 || c == 0x7F) {
      char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      buf_append(out, e, 6);
    } else {
      buf_append(out, s + i, 1);
    }
    i++;
  }
  buf_append(out, "\"", 1);
}

size_t utf8_clip_head(const char *s, size_t n) {
  /* Back off over continuation bytes so the cut falls before a sequence's lead byte. */
  size_t i = n;
  size_t back = 0;
  while (i > 0 && back < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) i--, back++;
  if (i > 0 && (unsigned char)s[i - 1] >= 0xC0) {
    size_t k = utf8_seq((const unsigned char *)s + i - 1, n - (i - 1));
    if (k && i - 1 + k <= n) return n;  /* the last sequence is whole */
    return i - 1;
  }
  return n;
}

size_t utf8_clip_tail_start(const char *s, size_t len, size_t n) {
  if (len <= n) return 0;
  size_t start = len - n;
  while (start < len && ((unsigned char)s[start] & 0xC0) == 0x80) start++;
  return start;
}

static void key(json_writer *w, const char *k) {
  if (!w->first[w->depth]) buf_append(w->out, ",", 1);
  w->first[w->depth] = false;
  json_quote(w->out, k, strlen(k));
  buf_append(w->out, ":", 1);
}

void jw_begin(json_writer *w, buf_t *out) {
  w->out = out;
  w->depth = 0;
  w->first[0] = true;
  buf_append(out, "{", 1);
}

void jw_object(json_writer *w, const char *k) {
  key(w, k);
  buf_append(w->out, "{", 1);
  if (w->depth + 1 < (int)(sizeof w->first / sizeof w->first[0])) w->first[++w->depth] = true;
}

void jw_end(json_writer *w) {
  buf_append(w->out, "}", 1);
  if (w->depth > 0) w->depth--;
}

void jw_string(json_writer *w, const char *k, const char *value) {
  jw_string_n(w, k, value ? value : "", value ? strlen(value) : 0);
}

void jw_string_n(json_writer *w, const char *k, const char *value, size_t len) {
  key(w, k);
  json_quote(w->out, value, len);
}

void jw_int(json_writer *w, const char *k, int64_t value) {
  key(w, k);
  /* By hand, not printf: READY's status is the first thing a restored clone runs, and under
   * TCG printf's machinery is some sixty blocks of code to translate on that path. */
  char digits[24];
  size_t i = sizeof digits;
  uint64_t u = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
  do digits[--i] = (char)('0' + u % 10), u /= 10;
  while (u);
  if (value < 0) digits[--i] = '-';
  buf_append(w->out, digits + i, sizeof digits - i);
}

void jw_double(json_writer *w, const char *k, double value) {
  key(w, k);
  if (!isfinite(value)) value = 0; /* JSON has no NaN or infinity */
  if (value == (double)(long long)value && fabs(value) < 1e15) {
    buf_printf(w->out, "%lld", (long long)value);
    return;
  }
  char text[32];
  for (int prec = 6; prec <= 17; prec++) {
    snprintf(text, sizeof text, "%.*g", prec, value);
    if (strtod(text, NULL) == value) break;
  }
  buf_puts(w->out, text);
}

void jw_bool(json_writer *w, const char *k, bool value) {
  key(w, k);
  buf_puts(w->out, value ? "true" : "false");
}
