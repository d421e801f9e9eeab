/* boundaries (tests only): a command function that tries to step out of its sandbox and prints
 * one line per attempt, "<what> denied" or "<what> allowed":
 *   userns  unshare(CLONE_NEWUSER | CLONE_NEWNS)
 *   dev     create a file in /dev
 *   root    create a file in / (WASI: in "..", out of the preopened work folder, which is where
 *           a WASI program's "/" leads)
 * WASI has no unshare: "userns denied" there. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#ifndef __wasi__
#include <sched.h>
#endif

static const char *creates(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return "denied";
  close(fd);
  unlink(path);
  return "allowed";
}

int main(void) {
#ifndef __wasi__
  printf("userns %s\n", unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? "allowed" : "denied");
#else
  printf("userns denied\n");
#endif
  printf("dev %s\n", creates("/dev/lumos-probe"));
#ifndef __wasi__
  printf("root %s\n", creates("/lumos-probe"));
#else
  printf("root %s\n", creates("../lumos-probe"));
#endif
  return 0;
}
