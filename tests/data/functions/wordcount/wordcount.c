/* wordcount: an ordinary C program (no SDK), the kind users bring unchanged. Counts lines,
 * words and bytes of stdin, prints them with its arguments and $GREETING, reads data/suffix.txt
 * from its working directory, writes counts.txt there, and exits with status $EXIT_CODE. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  long lines = 0, words = 0, bytes = 0;
  int c, in_word = 0;
  while ((c = getchar()) != EOF) {
    ++bytes;
    if (c == '\n') ++lines;
    if (isspace(c)) {
      in_word = 0;
    } else if (!in_word) {
      in_word = 1;
      ++words;
    }
  }
  printf("lines=%ld words=%ld bytes=%ld\n", lines, words, bytes);
  for (int i = 1; i < argc; ++i) printf("arg%d=%s\n", i, argv[i]);
  const char *greeting = getenv("GREETING");
  printf("greeting=%s\n", greeting ? greeting : "(none)");
  FILE *suffix = fopen("data/suffix.txt", "r");
  if (suffix) {
    char buf[64] = {0};
    if (fgets(buf, sizeof buf, suffix)) printf("suffix=%s", buf);
    fclose(suffix);
  }
  FILE *out = fopen("counts.txt", "w");
  if (!out) {
    perror("counts.txt");
    return 4;
  }
  fprintf(out, "%ld %ld %ld\n", lines, words, bytes);
  fclose(out);
  const char *code = getenv("EXIT_CODE");
  return code ? atoi(code) : 0;
}
