/* Starting child processes (see agent.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

int spawn_in_group(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                   const char *dir, const int *fds, int nfds) {
  if (nfds < 0 || nfds > SPAWN_FDS_MAX) return EINVAL;
  /* The child's dup2s run in order, so a source numbered below nfds (other than its own
   * target) could be overwritten by an earlier one: such a source is passed as a copy above. */
  int src[SPAWN_FDS_MAX];
  bool copied[SPAWN_FDS_MAX] = {false};
  int rc = 0;
  for (int i = 0; i < nfds; i++) {
    src[i] = fds[i];
    if (rc || fds[i] < 0 || fds[i] >= nfds || fds[i] == i) continue;
    src[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, nfds);
    if (src[i] < 0) rc = errno;
    else copied[i] = true;
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  if (rc || (rc = posix_spawn_file_actions_init(&fa))) goto copies;
  rc = posix_spawnattr_init(&attr);
  if (rc) {
    posix_spawn_file_actions_destroy(&fa);
    goto copies;
  }
  for (int i = 0; i < nfds && !rc; i++)
    rc = src[i] < 0 ? posix_spawn_file_actions_addopen(&fa, i, "/dev/null", O_RDWR, 0)
                    : posix_spawn_file_actions_adddup2(&fa, src[i], i);
  if (!rc && dir) rc = posix_spawn_file_actions_addchdir_np(&fa, dir);
  if (!rc &&
      !(rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                                  POSIX_SPAWN_SETSIGMASK)) &&
      !(rc = posix_spawnattr_setpgroup(&attr, 0)) &&
      !(rc = posix_spawnattr_setsigdefault(&attr, &all)) &&
      !(rc = posix_spawnattr_setsigmask(&attr, &none)))
    rc = posix_spawnp(pid, path, &fa, &attr, argv, envp);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
copies:
  for (int i = 0; i < nfds; i++)
    if (copied[i]) close(src[i]);
  return rc;
}

bool feed_pipe(int *fd, const void *data, size_t len, size_t *off) {
  size_t left = len - *off;
  ssize_t n = left ? write(*fd, (const char *)data + *off, left) : 0;
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  if (n > 0) *off += (size_t)n;
  if (n < 0 || *off == len) close(*fd), *fd = -1;
  return n > 0;
}

int run_captured(const char *path, char *const argv[], char *const envp[], const void *in,
                 size_t in_len, int64_t timeout_ms, buf_t *out, size_t max_out, int *status) {
  int inp[2] = {-1, -1}, outp[2];
  if (pipe2(outp, O_CLOEXEC) != 0) return errno;
  if (in_len && pipe2(inp, O_CLOEXEC) != 0) {
    int e = errno;
    close(outp[0]), close(outp[1]);
    return e;
  }
  pid_t pid;
  int fds[] = {inp[0], outp[1], outp[1]};
  int rc = spawn_in_group(&pid, path, argv, envp, NULL, fds, 3);
  if (inp[0] >= 0) close(inp[0]);
  close(outp[1]);
  if (rc) {
    if (inp[1] >= 0) close(inp[1]);
    close(outp[0]);
    return rc;
  }
  /* One poll loop feeds the input and collects the output, so neither side can block the
   * other, and looks at the deadline and at SHUTDOWN in between. */
  if (inp[1] >= 0) fcntl(inp[1], F_SETFL, O_NONBLOCK);
  size_t off = 0;
  int64_t deadline = timeout_ms > 0 ? now_us() + timeout_ms * 1000 : INT64_MAX;
  int killed = 0;
  while (outp[0] >= 0) {
    if (!killed && (now_us() > deadline || atomic_load(&agent_stopping))) {
      kill(pid, SIGKILL);
      killed = atomic_load(&agent_stopping) ? ECANCELED : ETIMEDOUT;
    }
    struct pollfd pf[2] = {{outp[0], POLLIN, 0}, {inp[1], POLLOUT, 0}};
    if (poll(pf, inp[1] >= 0 ? 2 : 1, 100) < 0 && errno != EINTR) break;
    if (inp[1] >= 0 && (pf[1].revents & (POLLOUT | POLLERR | POLLHUP))) feed_pipe(&inp[1], in, in_len, &off);
    if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char chunk[4096];
      ssize_t r = read(outp[0], chunk, sizeof chunk);
      if (r > 0 && out->len < max_out) buf_append(out, chunk, (size_t)r);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) close(outp[0]), outp[0] = -1;
    }
  }
  if (inp[1] >= 0) close(inp[1]);
  if (outp[0] >= 0) close(outp[0]);
  while (waitpid(pid, status, 0) < 0) {
    if (errno != EINTR) return killed ? killed : errno; /* ECHILD: reaped elsewhere */
  }
  return killed;
}
