/* Tests of SET_IDENTITY: reading the request, validating it (cases and messages generated
 * from the Go agent's identity.Validate) and the reply of the -guest=false mode. The real
 * apply path is not run here: it would change this host's RNG, hostname and network. */
#include <stdlib.h>

#include "../agent.h"
#include "check.h"

static int reseed_calls;

#ifdef TEST_STANDALONE
/* server.c's, when this test is built without it. */
int runtimes_reseed(char **msg) {
  (void)msg;
  reseed_calls++;
  return 0;
}
#endif

static json *parse(const char *s) {
  char err[128];
  json *v = json_parse(s, strlen(s), err, sizeof err);
  if (!v) fprintf(stderr, "json_parse(%s): %s\n", s, err);
  return v;
}

static void parses_every_field(void) {
  json *meta = parse("{\"instanceId\":\"i-1\",\"hostname\":\"fn-1\",\"ip\":\"10.0.2.15\","
                     "\"prefix\":24,\"gateway\":\"10.0.2.2\",\"mac\":\"52:54:00:00:00:01\","
                     "\"interface\":\"eth0\",\"unixTimeMs\":1700000000000,\"other\":[1]}");
  identity_request req;
  char err[128] = "";
  CHECK(identity_parse(meta, &req, err, sizeof err));
  CHECK_STR(req.instance_id, "i-1");
  CHECK_STR(req.hostname, "fn-1");
  CHECK_STR(req.ip, "10.0.2.15");
  CHECK_INT(req.prefix, 24);
  CHECK_STR(req.gateway, "10.0.2.2");
  CHECK_STR(req.mac, "52:54:00:00:00:01");
  CHECK_STR(req.iface, "eth0");
  CHECK_INT(req.unix_time_ms, 1700000000000LL);
  json_free(meta);
}

static void parses_absent_and_null_as_not_given(void) {
  const char *metas[] = {"{}", "null", "{\"instanceId\":null,\"prefix\":null,\"mac\":null}"};
  for (size_t i = 0; i < sizeof metas / sizeof metas[0]; i++) {
    json *meta = parse(metas[i]);
    identity_request req = {.hostname = "stale", .prefix = 9};
    char err[128] = "";
    CHECK(identity_parse(meta, &req, err, sizeof err));
    CHECK(req.instance_id == NULL && req.hostname == NULL && req.ip == NULL &&
          req.gateway == NULL && req.mac == NULL && req.iface == NULL);
    CHECK_INT(req.prefix, 0);
    CHECK_INT(req.unix_time_ms, 0);
    json_free(meta);
  }
  /* A frame without meta reads as {}. */
  identity_request req;
  char err[16];
  CHECK(identity_parse(NULL, &req, err, sizeof err) && req.instance_id == NULL);
}

static void rejects_wrong_types(void) {
  static const struct {
    const char *meta, *err;
  } cases[] = {
      {"{\"instanceId\":5}", "field instanceId: want a string without NUL"},
      {"{\"hostname\":true}", "field hostname: want a string without NUL"},
      {"{\"hostname\":\"a\\u0000b\"}", "field hostname: want a string without NUL"},
      {"{\"ip\":[\"10.0.0.1\"]}", "field ip: want a string without NUL"},
      {"{\"prefix\":\"24\"}", "field prefix: want an integer"},
      {"{\"prefix\":24.5}", "field prefix: want an integer"},
      {"{\"prefix\":1e2}", "field prefix: want an integer"},
      {"{\"gateway\":{}}", "field gateway: want a string without NUL"},
      {"{\"mac\":1}", "field mac: want a string without NUL"},
      {"{\"interface\":false}", "field interface: want a string without NUL"},
      {"{\"unixTimeMs\":\"1700000000000\"}", "field unixTimeMs: want an integer"},
      {"{\"unixTimeMs\":1.7e12}", "field unixTimeMs: want an integer"},
      {"[]", "meta: want an object"},
      {"\"x\"", "meta: want an object"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json *meta = parse(cases[i].meta);
    identity_request req;
    char err[128] = "";
    CHECK(!identity_parse(meta, &req, err, sizeof err));
    CHECK_STR(err, cases[i].err);
    json_free(meta);
  }
}

static void validates_like_go(void) {
  /* meta, entropy bytes, Go's error text (NULL: valid) */
  static const struct {
    const char *meta;
    size_t entropy;
    const char *err;
  } cases[] = {
      {"{\"instanceId\":\"i-1\",\"hostname\":\"fn-1\",\"ip\":\"10.0.2.15\",\"prefix\":24,\"gateway\":\"10.0.2.2\",\"mac\":\"52:54:00:00:00:01\",\"unixTimeMs\":1700000000000}", 32, NULL},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\"}", 31, "entropy: 31 bytes, want 32..4096"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\"}", 4096, NULL},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\"}", 4097, "entropy: 4097 bytes, want 32..4096"},
      {"{\"instanceId\":\"i\",\"hostname\":\"-h\"}", 32, "hostname \"-h\" is not a valid host name"},
      {"{\"instanceId\":\"../x\",\"hostname\":\"h\"}", 32, "instanceId \"../x\": want 1-128 of [A-Za-z0-9._-]"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"ip\":\"10.0.0.300\",\"prefix\":24}", 32, "ip \"10.0.0.300\" is not an IP address"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"ip\":\"10.0.0.3\",\"prefix\":33}", 32, "prefix 33: want 1..32"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"ip\":\"10.0.0.3\",\"prefix\":32}", 32, NULL},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"ip\":\"10.0.0.3\"}", 32, "prefix 0: want 1..32"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"ip\":\"010.0.0.3\",\"prefix\":8}", 32, "ip \"010.0.0.3\" is not an IP address"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"ip\":\"fd00::2\",\"prefix\":64,\"gateway\":\"fd00::1\"}", 32, NULL},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"ip\":\"fd00::2\",\"prefix\":129}", 32, "prefix 129: want 1..128"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"ip\":\"::ffff:10.0.0.1\",\"prefix\":64}", 32, "prefix 64: want 1..32"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"ip\":\"::ffff:10.0.0.1\",\"prefix\":32}", 32, NULL},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"ip\":\"fe80::1%eth0\",\"prefix\":64}", 32, "ip \"fe80::1%eth0\" is not an IP address"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"mac\":\"52:54:00\"}", 32, "mac \"52:54:00\" is not a 48-bit MAC address"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"mac\":\"52-54-00-AA-bb-01\"}", 32, NULL},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"mac\":\"5254.00aa.bb01\"}", 32, NULL},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"mac\":\"52:54:00-aa:bb:01\"}", 32, "mac \"52:54:00-aa:bb:01\" is not a 48-bit MAC address"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"mac\":\"52:54:00:aa:bb:0g\"}", 32, "mac \"52:54:00:aa:bb:0g\" is not a 48-bit MAC address"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"mac\":\"02:00:5e:10:00:00:00:01\"}", 32, "mac \"02:00:5e:10:00:00:00:01\" is not a 48-bit MAC address"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"gateway\":\"10.0.0.1\"}", 32, "gateway without ip"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"gateway\":\"nope\"}", 32, "gateway without ip\ngateway \"nope\" is not an IP address"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"ip\":\"10.0.0.3\",\"prefix\":24,\"gateway\":\"10.0.0\"}", 32, "gateway \"10.0.0\" is not an IP address"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"ip\":\"10.0.0.3\",\"prefix\":24,\"interface\":\"eth0 up; reboot\"}", 32, "interface \"eth0 up; reboot\" is not an interface name"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"interface\":\"eth0\"}", 32, NULL},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"interface\":\"eeeeeeeeeeeeeee\"}", 32, NULL},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"interface\":\"eeeeeeeeeeeeeeee\"}", 32, "interface \"eeeeeeeeeeeeeeee\" is not an interface name"},
      {"{\"instanceId\":\"i\",\"hostname\":\"h\",\"unixTimeMs\":-1}", 32, "unixTimeMs is negative"},
      {"{\"instanceId\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"hostname\":\"h\"}", 32, NULL},
      {"{\"instanceId\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"hostname\":\"h\"}", 32, "instanceId \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": want 1-128 of [A-Za-z0-9._-]"},
      {"{\"instanceId\":\"a.b_c-D9\",\"hostname\":\"h\"}", 32, NULL},
      {"{\"instanceId\":\"_x\",\"hostname\":\"h\"}", 32, "instanceId \"_x\": want 1-128 of [A-Za-z0-9._-]"},
      {"{\"instanceId\":\"i\",\"hostname\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b\"}", 32, NULL},
      {"{\"instanceId\":\"i\",\"hostname\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b\"}", 32, "hostname \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b\" is not a valid host name"},
      {"{\"instanceId\":\"i\",\"hostname\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", 32, NULL},
      {"{\"instanceId\":\"i\",\"hostname\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", 32, "hostname \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is not a valid host name"},
      {"{\"instanceId\":\"i\",\"hostname\":\"a-b.C0\"}", 32, NULL},
      {"{\"instanceId\":\"i\",\"hostname\":\"h.\"}", 32, "hostname \"h.\" is not a valid host name"},
      {"{\"instanceId\":\"i\",\"hostname\":\"a..b\"}", 32, "hostname \"a..b\" is not a valid host name"},
      {"{\"instanceId\":\"i\",\"hostname\":\"a-.b\"}", 32, "hostname \"a-.b\" is not a valid host name"},
      {"{\"instanceId\":\"i\",\"hostname\":\"a_b\"}", 32, "hostname \"a_b\" is not a valid host name"},
      {"{\"instanceId\":\"i\",\"hostname\":\"a\\tb\\u0001\\\"\\\\é\\u00a0\\u200b😀\\u007f\"}", 32, "hostname \"a\\tb\\x01\\\"\\\\\303\251\\u00a0\\u200b\360\237\230\200\\x7f\" is not a valid host name"},
      {"{}", 0, "instanceId \"\": want 1-128 of [A-Za-z0-9._-]\nhostname \"\" is not a valid host name\nentropy: 0 bytes, want 32..4096"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json *meta = parse(cases[i].meta);
    identity_request req;
    char err[1024] = "";
    CHECK(identity_parse(meta, &req, err, sizeof err));
    bool ok = identity_validate(&req, cases[i].entropy, err, sizeof err);
    if (cases[i].err) {
      CHECK(!ok);
      CHECK_STR(err, cases[i].err);
    } else if (!ok) {
      CHECK_STR(err, "(valid)");
    }
    json_free(meta);
  }
}

static void clips_long_messages_whole_characters(void) {
  /* "é" is two bytes: a cut inside it must drop it whole. */
  identity_request req = {.instance_id = "i", .hostname = "\xc3\xa9\xc3\xa9"};
  char err[14];
  CHECK(!identity_validate(&req, 32, err, sizeof err));
  CHECK_STR(err, "hostname \"\xc3\xa9");
}

static void fake_apply_reports_without_applying(void) {
  uint8_t entropy[64] = {0};
  identity_request req = {.instance_id = "i-1", .hostname = "fn-1", .ip = "10.0.2.15",
                          .prefix = 24, .mac = "52:54:00:00:00:01", .unix_time_ms = 1};
  buf_t out = {0};
  json_writer w;
  jw_begin(&w, &out);
  char err[128] = "";
  CHECK(identity_apply(&req, entropy, sizeof entropy, false, 123, &w, err, sizeof err));
  jw_end(&w);
  /* Byte for byte what the Go agent's fakeApplier reply marshals to. */
  CHECK_STR(out.data, "{\"instanceId\":\"i-1\",\"hostname\":\"fn-1\",\"network\":\"not_requested\","
                      "\"entropyBytes\":64,\"kernelReseeded\":false,\"runtimeReseeded\":false,"
                      "\"clockSet\":false}");
  json *v = parse(out.data);
  CHECK(v && json_get(v, "interface") == NULL && json_get(v, "stepsMicros") == NULL);
  json_free(v);
  CHECK_INT(reseed_calls, 0);
  buf_free(&out);
}

int main(void) {
  parses_every_field();
  parses_absent_and_null_as_not_given();
  rejects_wrong_types();
  validates_like_go();
  clips_long_messages_whole_characters();
  fake_apply_reports_without_applying();
  CHECK_DONE();
}
