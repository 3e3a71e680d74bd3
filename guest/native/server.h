/* The protocol engine (server.c), configured and driven by main.c. */
#ifndef FAASTER_SERVER_H
#define FAASTER_SERVER_H

#include "agent.h"

typedef struct {
  const char *runtime;     /* the image's runtime, reported in READY */
  const char *code_root;   /* per-instance code directories go below it */
  const char *share_root;  /* host file shares are mounted below it; NULL: shares refused */
  const char *unpack;      /* the faaster-unpack program (zip packages) */
  bool real_guest;         /* apply identities to this machine (false: development) */
  bool power_off;          /* power the VM off after SHUTDOWN */
} server_config;

/* Sets up the runtimes and the job thread; python3's helper starts here, before READY. */
void server_init(const server_config *cfg);

typedef enum { SERVE_EOF, SERVE_ERROR, SERVE_SHUTDOWN } serve_status;

/* Announces READY (request id 0) on fd, then serves frames from it until the host goes away
 * (SERVE_EOF; SERVE_ERROR: a read failed, errno kept) or SHUTDOWN was acknowledged. On a
 * virtio-serial port the READY write blocks until a host is connected. */
serve_status server_serve(int fd);

#endif
