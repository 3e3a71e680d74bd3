/* Tests of the JSON reader and writer. */
#include <stdlib.h>

#include "../agent.h"
#include "check.h"

static json *parse(const char *s) {
  char err[128];
  return json_parse(s, strlen(s), err, sizeof err);
}

static void reads_objects(void) {
  json *v = parse(" {\"a\":\"x\\u00e9\\n\",\"n\":-12,\"f\":1.5,\"b\":true,\"z\":null,\"o\":{\"k\":\"v\"},"
                  "\"arr\":[1,2],\"a\":\"last\"} ");
  CHECK(v != NULL);
  if (!v) return;
  CHECK_STR(json_get(v, "a")->string, "last");
  CHECK_INT(json_get(v, "n")->integer, -12);
  CHECK(json_get(v, "n")->is_int);
  CHECK(!json_get(v, "f")->is_int);
  CHECK(json_get(v, "f")->number == 1.5);
  CHECK(json_get(v, "b")->boolean);
  CHECK_STR(json_get(json_get(v, "o"), "k")->string, "v");
  CHECK_INT(json_get(v, "arr")->count, 2);
  CHECK(json_get(v, "missing") == NULL);
  const char *s = NULL;
  int64_t i = 7;
  bool b = false;
  char err[64];
  CHECK(json_opt_string(v, "missing", &s, err, sizeof err) && s == NULL);
  CHECK(json_opt_int(v, "z", &i, err, sizeof err) && i == 7);
  CHECK(!json_opt_int(v, "f", &i, err, sizeof err));
  CHECK_STR(err, "field f: want an integer");
  CHECK(!json_opt_string(v, "n", &s, err, sizeof err));
  CHECK(json_opt_bool(v, "b", &b, err, sizeof err) && b);
  json_free(v);
}

static void decodes_escapes(void) {
  json *v = parse("\"\\ud83d\\ude00 \\u0000x \\udc00\"");
  CHECK(v && v->type == JSON_STRING);
  if (!v) return;
  CHECK_INT(v->string_len, 4 + 1 + 1 + 1 + 1 + 3);
  CHECK(memcmp(v->string, "\xF0\x9F\x98\x80 \0x \xEF\xBF\xBD", v->string_len) == 0);
  char err[64];
  const char *s;
  json *o = parse("{\"k\":\"a\\u0000b\"}");
  CHECK(!json_opt_string(o, "k", &s, err, sizeof err)); /* NUL inside: not a C string */
  json_free(o);
  json_free(v);
}

static void rejects_malformed(void) {
  const char *bad[] = {"", "{", "{\"a\":}", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "01", "1.", "-",
                       "\"\x01\"", "\"\xC3\"", "\"\\x\"", "tru", "{} x", "\"abc", "1e", "{1:2}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char err[128] = "";
    json *v = json_parse(bad[i], strlen(bad[i]), err, sizeof err);
    CHECK(v == NULL);
    CHECK(err[0] != 0);
    json_free(v);
  }
  char deep[1200];
  memset(deep, '[', 600);
  memset(deep + 600, ']', 600);
  char err[128];
  CHECK(json_parse(deep, 1200, err, sizeof err) == NULL);
  CHECK_STR(err, "JSON nested too deeply");
}

static void reads_what_unknown_fields_may_hold(void) {
  const char *s = "{\"big\":123456789012345678901234567890123456789012345678901234567890123456789,"
                  "\"n\":9223372036854775807,\"k\\u0000x\":1}";
  json *v = parse(s);
  CHECK(v != NULL);
  if (!v) return;
  CHECK(!json_get(v, "big")->is_int);
  CHECK(json_get(v, "big")->number > 1.2e68 && json_get(v, "big")->number < 1.3e68);
  CHECK(json_get(v, "n")->is_int);
  CHECK(json_get(v, "k") == NULL); /* a name with NUL matches no field */
  CHECK(json_get(v, "k=(NUL)") != NULL);
  json_free(v);
  v = parse("{\"\":1}"); /* the empty name */
  CHECK(v && json_get(v, "") != NULL);
  json_free(v);
}

static void writes_objects(void) {
  buf_t out = {0};
  json_writer w;
  jw_begin(&w, &out);
  jw_string(&w, "s", "q\"\\\n\x01");
  jw_int(&w, "i", -3);
  jw_double(&w, "d", 0.125);
  jw_double(&w, "w", 42);
  jw_bool(&w, "b", false);
  jw_object(&w, "o");
  jw_int(&w, "x", 1);
  jw_int(&w, "y", 2);
  jw_end(&w);
  jw_string_n(&w, "bad", "a\xFF" "b", 3);
  jw_end(&w);
  CHECK_STR(out.data, "{\"s\":\"q\\\"\\\\\\n\\u0001\",\"i\":-3,\"d\":0.125,\"w\":42,\"b\":false,"
                      "\"o\":{\"x\":1,\"y\":2},\"bad\":\"a\xEF\xBF\xBD" "b\"}");
  json *back = json_parse(out.data, out.len, NULL, 0);
  CHECK(back != NULL);
  json_free(back);
  buf_free(&out);
}

static void clips_utf8(void) {
  const char *s = "ab\xC3\xA9";                  /* "abé" */
  CHECK_INT(utf8_clip_head(s, 3), 2);           /* would cut é */
  CHECK_INT(utf8_clip_head(s, 4), 4);
  CHECK_INT(utf8_clip_tail_start(s, 4, 1), 4);  /* only a continuation byte fits: nothing */
  CHECK_INT(utf8_clip_tail_start(s, 4, 2), 2);
  CHECK_INT(utf8_clip_tail_start(s, 4, 9), 0);
}

static void keeps_tails(void) {
  buf_t b = {0};
  buf_append_tail(&b, "hello", 5, 4);
  CHECK_STR(b.data, "ello");
  buf_append_tail(&b, "xy", 2, 4);
  CHECK_STR(b.data, "loxy");
  buf_free(&b);
}

int main(void) {
  reads_objects();
  decodes_escapes();
  rejects_malformed();
  reads_what_unknown_fields_may_hold();
  writes_objects();
  clips_utf8();
  keeps_tails();
  CHECK_DONE();
}
