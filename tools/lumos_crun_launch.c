/* lumos-crun-launch: starts crun (Debian 13's, under its own loader) in a private mount namespace
 * of its own in which the hybrid cgroup2 mount is hidden, so crun runs in cgroup v1 mode on a host
 * whose /sys/fs/cgroup/unified carries a controller (crun refuses hybrid mode). Nothing outside
 * that namespace changes. A static C program: the shell equivalent (unshare + umount + mount)
 * costs 12-15 ms per container, this about 1 ms, and lumos times it as the `wrapper` phase.
 *
 * Usage: lumos-crun-launch [--report FILE] PROGRAM [ARG...]
 *   --report FILE  writes the nanoseconds the launcher itself took (its start to the exec of
 *                  PROGRAM, CLOCK_MONOTONIC) to FILE (created; an existing symlink is refused)
 * Exit: PROGRAM's, or 125 when the namespace cannot be set up, 127 when PROGRAM cannot run. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

static const long kCgroup2Magic = 0x63677270; /* CGROUP2_SUPER_MAGIC */
static const char kUnified[] = "/sys/fs/cgroup/unified";

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int fail(const char* what) {
  fprintf(stderr, "lumos-crun-launch: %s: %s\n", what, strerror(errno));
  return 125;
}

int main(int argc, char** argv) {
  uint64_t started = now_ns();
  int first = 1;
  const char* report = NULL;
  if (argc > 2 && strcmp(argv[1], "--report") == 0) report = argv[2], first = 3;
  if (first >= argc) {
    fprintf(stderr, "usage: lumos-crun-launch [--report FILE] PROGRAM [ARG...]\n");
    return 125;
  }
  if (unshare(CLONE_NEWNS) != 0) return fail("unshare(CLONE_NEWNS) (needs root)");
  if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return fail("making / private");
  struct statfs fs;
  if (statfs(kUnified, &fs) == 0 && fs.f_type == kCgroup2Magic) {
    if (umount2(kUnified, MNT_DETACH) != 0) return fail("unmounting /sys/fs/cgroup/unified");
    /* An empty tmpfs over the mount point: without it crun sees the leftover directory and
     * creates its cgroup2 "group" as plain files in the host's /sys/fs/cgroup tmpfs. */
    if (mount("lumos-no-cgroup2", kUnified, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=755") != 0)
      return fail("mounting a tmpfs over /sys/fs/cgroup/unified");
  }
  if (report) {
    int fd = open(report, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail(report);
    char text[32];
    int n = snprintf(text, sizeof text, "%llu\n", (unsigned long long)(now_ns() - started));
    ssize_t w = write(fd, text, (size_t)n);
    close(fd);
    if (w != n) return fail(report);
  }
  execv(argv[first], argv + first);
  fprintf(stderr, "lumos-crun-launch: cannot run %s: %s\n", argv[first], strerror(errno));
  return 127;
}
