/* Starting child processes (see agent.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

#include "agent.h"

int spawn_in_group(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                   const char *dir, const int *fds, int nfds) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc) return rc;
  rc = posix_spawnattr_init(&attr);
  if (rc) {
    posix_spawn_file_actions_destroy(&fa);
    return rc;
  }
  for (int i = 0; i < nfds && !rc; i++)
    rc = fds[i] < 0 ? posix_spawn_file_actions_addopen(&fa, i, "/dev/null", O_RDWR, 0)
                    : posix_spawn_file_actions_adddup2(&fa, fds[i], i);
  if (!rc && dir) rc = posix_spawn_file_actions_addchdir_np(&fa, dir);
  if (!rc &&
      !(rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                                  POSIX_SPAWN_SETSIGMASK)) &&
      !(rc = posix_spawnattr_setpgroup(&attr, 0)) &&
      !(rc = posix_spawnattr_setsigdefault(&attr, &all)) &&
      !(rc = posix_spawnattr_setsigmask(&attr, &none)))
    rc = posix_spawn(pid, path, &fa, &attr, argv, envp);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  return rc;
}
