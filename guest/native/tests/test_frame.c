/* Tests of the frame layout and the decoder's resynchronisation (PROTOCOL.md 2 and 5). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "../frame.h"
#include "check.h"

/* The PING of PROTOCOL.md 2.1, byte for byte. */
static void header_matches_the_document(void) {
  static const uint8_t want[24] = {0x46, 0x41, 0x41, 0x47, 0x01, 0x02, 0x00, 0x00, 0, 0, 0, 0,
                                   0,    0,    0,    1,    0,    0,    0,    0,    0x37, 0x61, 0x1c, 0xb0};
  uint8_t got[24];
  frame_header(got, T_PING, 1, 0);
  CHECK(memcmp(got, want, 24) == 0);
  CHECK(crc32_ieee("123456789", 9) == 0xCBF43926u); /* the CRC-32 check value */
}

static void put_frame(buf_t *b, uint8_t version, uint8_t type, uint64_t id, const char *meta,
                      const char *body) {
  size_t m = meta ? strlen(meta) : 0, n = body ? strlen(body) : 0;
  uint8_t h[24];
  frame_header(h, type, id, (m || n) ? (uint32_t)(4 + m + n) : 0);
  h[4] = version;
  if (version != 1) { /* re-CRC so only the version is wrong */
    uint32_t c = crc32_ieee(h, 20);
    h[20] = (uint8_t)(c >> 24), h[21] = (uint8_t)(c >> 16), h[22] = (uint8_t)(c >> 8), h[23] = (uint8_t)c;
  }
  buf_append(b, h, 24);
  if (m || n) {
    uint8_t l[4] = {(uint8_t)(m >> 24), (uint8_t)(m >> 16), (uint8_t)(m >> 8), (uint8_t)m};
    buf_append(b, l, 4);
    buf_append(b, meta, m);
    buf_append(b, body, n);
  }
}

/* A decoder over a file holding the bytes (a pipe would need a writer thread for big input). */
static int bytes_fd(const buf_t *b) {
  char path[] = "/tmp/faaster-frame-XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  ssize_t w = write(fd, b->data, b->len);
  CHECK(w == (ssize_t)b->len);
  lseek(fd, 0, SEEK_SET);
  return fd;
}

static void decodes_and_resyncs(void) {
  buf_t in = {0};
  put_frame(&in, 1, T_INVOKE, 7, "{\"timeoutMs\":5}", "event");
  buf_puts(&in, "garbage FAA bytes FAAGxxxxxxxxxxxxxxxxxxxx"); /* junk with a false magic */
  put_frame(&in, 1, T_PING, 8, NULL, NULL);
  put_frame(&in, 2, T_PING, 9, "{}", "skipped by length");
  put_frame(&in, 1, 0x42, 10, "{}", "x");
  uint8_t h[24];
  frame_header(h, T_INVOKE, 11, MAX_PAYLOAD + 1); /* too large: streamed away by its length */
  buf_append(&in, h, 24);
  char *big = calloc(1, MAX_PAYLOAD + 1);
  buf_append(&in, big, MAX_PAYLOAD + 1);
  free(big);
  frame_header(h, T_INVOKE, 12, 2); /* payload too short for a meta length */
  buf_append(&in, h, 24);
  buf_append(&in, "ab", 2);
  put_frame(&in, 1, T_PING, 13, NULL, NULL);
  buf_append(&in, "FAAG", 4); /* a partial header, then the host leaves */

  decoder *d = malloc(sizeof *d);
  decoder_reset(d, bytes_fd(&in));
  frame_t f;
  frame_error e;
  CHECK_INT(decoder_next(d, &f, &e), DECODE_FRAME);
  CHECK_INT(f.type, T_INVOKE);
  CHECK_INT(f.id, 7);
  CHECK_INT(f.meta_len, strlen("{\"timeoutMs\":5}"));
  CHECK(f.body_len == 5 && memcmp(f.body, "event", 5) == 0);
  frame_free(&f);
  CHECK_INT(decoder_next(d, &f, &e), DECODE_REJECTED); /* once per run of garbage */
  CHECK_STR(e.code, E_BAD_HEADER);
  CHECK_INT(e.id, 0);
  CHECK_INT(decoder_next(d, &f, &e), DECODE_FRAME);
  CHECK_INT(f.id, 8);
  frame_free(&f);
  const char *codes[] = {E_UNSUPPORTED_VERSION, E_UNKNOWN_TYPE, E_FRAME_TOO_LARGE, E_BAD_PAYLOAD};
  uint64_t ids[] = {9, 10, 11, 12};
  for (int i = 0; i < 4; i++) {
    CHECK_INT(decoder_next(d, &f, &e), DECODE_REJECTED);
    CHECK_STR(e.code, codes[i]);
    CHECK_INT(e.id, ids[i]);
  }
  CHECK_INT(decoder_next(d, &f, &e), DECODE_FRAME);
  CHECK_INT(f.id, 13);
  frame_free(&f);
  CHECK_INT(decoder_next(d, &f, &e), DECODE_EOF);
  close(d->fd);
  free(d);
  buf_free(&in);
}

/* Random garbage (never holding the magic) between valid frames: every frame comes through,
 * with exactly one bad_header per run of garbage, whatever the garbage and its length. */
static void random_garbage_between_frames(void) {
  unsigned seed = 12345;
  for (int round = 0; round < 200; round++) {
    buf_t in = {0};
    int runs = 0;
    for (uint64_t id = 1; id <= 20; id++) {
      size_t n = (size_t)(rand_r(&seed) % 90);
      for (size_t i = 0; i < n; i++) {
        char c = (char)(rand_r(&seed) & 0xFF);
        if (c == 'F') c = 'f'; /* no magic inside the garbage */
        buf_append(&in, &c, 1);
      }
      runs += n > 0;
      char meta[32];
      snprintf(meta, sizeof meta, "{\"n\":%llu}", (unsigned long long)id);
      put_frame(&in, 1, T_INVOKE, id, meta, (rand_r(&seed) & 1) ? "body" : NULL);
    }
    decoder *d = malloc(sizeof *d);
    decoder_reset(d, bytes_fd(&in));
    frame_t f;
    frame_error e;
    uint64_t next = 1;
    int rejected = 0;
    for (decode_status st; (st = decoder_next(d, &f, &e)) != DECODE_EOF;) {
      if (st == DECODE_REJECTED) {
        rejected++;
        CHECK_STR(e.code, E_BAD_HEADER);
        continue;
      }
      CHECK_INT(st, DECODE_FRAME);
      CHECK_INT(f.id, next);
      next++;
      frame_free(&f);
    }
    CHECK_INT(next, 21);
    CHECK_INT(rejected, runs);
    close(d->fd);
    free(d);
    buf_free(&in);
  }
}

int main(void) {
  header_matches_the_document();
  decodes_and_resyncs();
  random_garbage_between_frames();
  CHECK_DONE();
}
