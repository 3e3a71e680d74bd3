/* Tests of spawn_in_group's descriptor handling: the child gets fds[i] as its descriptor i
 * whatever numbers the sources have, also when they cross (a source is another's target). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../agent.h"
#include "check.h"

static char *read_all(int fd) {
  buf_t b = {0};
  char chunk[256];
  ssize_t n;
  while ((n = read(fd, chunk, sizeof chunk)) > 0) buf_append(&b, chunk, (size_t)n);
  buf_append(&b, "", 1);
  return buf_steal(&b);
}

/* Pipe a's write end is descriptor 4, pipe b's is 3; the child is to get a's as 3 and b's as 4.
 * Dup2s in order would make 3 a's before 4 is taken from 3: both would be a's. */
static void crossing_sources_reach_their_targets(void) {
  int a[2], b[2];
  CHECK(pipe2(a, O_CLOEXEC) == 0 && pipe2(b, O_CLOEXEC) == 0);
  int hold_a = fcntl(a[1], F_DUPFD_CLOEXEC, 10), hold_b = fcntl(b[1], F_DUPFD_CLOEXEC, 10);
  close(a[1]);
  close(b[1]);
  /* Move whatever occupies 3 and 4 (the read ends, probably) out of the way first. */
  int ra = fcntl(a[0], F_DUPFD_CLOEXEC, 10), rb = fcntl(b[0], F_DUPFD_CLOEXEC, 10);
  close(a[0]);
  close(b[0]);
  CHECK(dup3(hold_a, 4, O_CLOEXEC) == 4 && dup3(hold_b, 3, O_CLOEXEC) == 3);
  close(hold_a);
  close(hold_b);

  char *argv[] = {"sh", "-c", "echo to-a >&3; echo to-b >&4", NULL};
  char *envp[] = {"PATH=/usr/bin:/bin", NULL};
  int fds[] = {-1, -1, -1, 4, 3};
  pid_t pid;
  CHECK_INT(spawn_in_group(&pid, "sh", argv, envp, NULL, fds, 5), 0);
  close(3);
  close(4);
  int status = -1;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  char *got_a = read_all(ra), *got_b = read_all(rb);
  CHECK_STR(got_a, "to-a\n");
  CHECK_STR(got_b, "to-b\n");
  free(got_a);
  free(got_b);
  close(ra);
  close(rb);
}

/* The copies it makes are its own: none is left open in the agent. */
static void leaves_no_descriptor_behind(void) {
  int probe = fcntl(0, F_DUPFD_CLOEXEC, 3); /* the lowest free number above 2, now */
  close(probe);
  int p[2];
  CHECK(pipe2(p, O_CLOEXEC) == 0);
  char *argv[] = {"true", NULL};
  char *envp[] = {"PATH=/usr/bin:/bin", NULL};
  int fds[] = {-1, p[1], p[1], p[1], p[1]}; /* p[1] is below 5: copied for every slot but its own */
  pid_t pid;
  CHECK_INT(spawn_in_group(&pid, "true", argv, envp, NULL, fds, 5), 0);
  int status = -1;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(p[0]);
  close(p[1]);
  int after = fcntl(0, F_DUPFD_CLOEXEC, 3);
  CHECK_INT(after, probe);
  close(after);
}

int main(void) {
  crossing_sources_reach_their_targets();
  leaves_no_descriptor_behind();
  CHECK_DONE();
}
