/* Frame decoder and the connection frames are sent on (frame.c); used by server.c and main.c. */
#ifndef FAASTER_FRAME_H
#define FAASTER_FRAME_H

#include "agent.h"

/* Why a frame was rejected: the code of the ERROR to send, the request id (0 when the header
 * was unreadable) and a message. */
typedef struct {
  const char *code;
  uint64_t id;
  char message[160];
} frame_error;

typedef enum { DECODE_FRAME, DECODE_REJECTED, DECODE_EOF, DECODE_IO_ERROR } decode_status;

/* Reads frames from one fd through a 64 KiB buffer; never buffers more than one payload. */
typedef struct {
  int fd;
  uint8_t buf[64 << 10];
  size_t start, end;   /* unread bytes are buf[start..end) */
  bool scanning;       /* inside a run of garbage: bad_header was already reported */
} decoder;

void decoder_reset(decoder *d, int fd);
/* The next frame (DECODE_FRAME, f filled), or a rejected one (DECODE_REJECTED, e filled, the
 * stream is in sync again), or the end of the connection (EOF also mid-frame) or a read error
 * (errno kept). */
decode_status decoder_next(decoder *d, frame_t *f, frame_error *e);

/* Encodes the 24-byte header. */
void frame_header(uint8_t out[FRAME_HEADER_LEN], uint8_t type, uint64_t id, uint32_t payload_len);
/* Whether type is one of PROTOCOL.md section 3. */
bool frame_type_known(uint8_t type);

/* Frames are sent on this fd (one host connection at a time); -1 = none. */
void connection_set(int fd);
/* Starts a connection: makes fd the one frames go to and sends a frame with request id 0 on
 * it, with no other frame able to go first. */
void connection_begin(int fd, uint8_t type, const char *meta, size_t meta_len);

#endif
