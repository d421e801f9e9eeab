/* A command function that tries to make lumos read host files for it (tests only):
 * ESCAPE=link (default) writes out.txt as a symbolic link to LINK_TARGET, for lumos to read as
 * its output; ESCAPE=read-link prints data/secret-link, a link inside a folder lumos copied into
 * its work directory (`dirs:`), which must arrive as a link, never as the host file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  const char* mode = getenv("ESCAPE");
  if (mode && strcmp(mode, "read-link") == 0) {
    FILE* f = fopen("data/secret-link", "rb");
    if (!f) {
      perror("data/secret-link");
      return 1;
    }
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
  }
  const char* target = getenv("LINK_TARGET");
  if (!target || symlink(target, "out.txt") != 0) {
    perror("symlink out.txt");
    return 1;
  }
  return 0;
}
