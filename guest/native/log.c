/* Log lines on the console and the monotonic clock (see agent.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

atomic_bool agent_stopping;

int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void agent_log(const char *fmt, ...) {
  /* Formatted into one buffer and written with one write(2), so lines of concurrent threads
   * don't interleave on the console. */
  char line[2048];
  int64_t t = now_us();
  int n = snprintf(line, sizeof line, "faaster-agent: %lld.%06lld ", (long long)(t / 1000000),
                   (long long)(t % 1000000));
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  ssize_t w = write(2, line, len);
  (void)w;
}
