/* fuzzy-search input generator: writes n1e4.json, n1e5.json and large.json into the folder given
 * as argv[1], with word lists taken from the wamerican dictionary (Debian package wamerican).
 *
 * Selection: the T non-empty lines of the dictionary in file order; a list of n words takes
 * line floor(i * T / n) for i = 0 .. n-1 (large.json takes all T). reference.py repeats this
 * rule to check the files and to compute the expected outputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DICT "/usr/share/dict/american-english"

static char** g_words;
static size_t g_count;

static int load_dictionary(void) {
  FILE* f = fopen(DICT, "rb");
  if (!f) {
    fprintf(stderr, "fuzzy-search generator: cannot open %s: install the Debian package wamerican\n", DICT);
    return 1;
  }
  size_t cap = 1 << 17;
  g_words = malloc(cap * sizeof *g_words);
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    size_t len = strcspn(line, "\r\n");
    if (len == 0) continue;
    line[len] = '\0';
    if (g_count == cap) g_words = realloc(g_words, (cap *= 2) * sizeof *g_words);
    g_words[g_count] = malloc(len + 1);
    memcpy(g_words[g_count++], line, len + 1);
  }
  fclose(f);
  if (g_count == 0) {
    fprintf(stderr, "fuzzy-search generator: %s has no words\n", DICT);
    return 1;
  }
  return 0;
}

static void write_string(FILE* out, const char* s) {
  fputc('"', out);
  for (const unsigned char* p = (const unsigned char*)s; *p; ++p) {
    if (*p == '"' || *p == '\\')
      fprintf(out, "\\%c", *p);
    else if (*p < 0x20)
      fprintf(out, "\\u%04x", *p);
    else
      fputc(*p, out);
  }
  fputc('"', out);
}

/* {"k":K,"query":"...","words":[...]} with n words (n == 0: all of them). */
static int write_input(const char* dir, const char* name, const char* query, int k, size_t n) {
  if (n == 0 || n > g_count) n = g_count;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE* out = fopen(path, "wb");
  if (!out) {
    fprintf(stderr, "fuzzy-search generator: cannot write %s\n", path);
    return 1;
  }
  fprintf(out, "{\"k\":%d,\"query\":", k);
  write_string(out, query);
  fputs(",\"words\":[", out);
  for (size_t i = 0; i < n; ++i) {
    if (i) fputc(',', out);
    write_string(out, g_words[(size_t)((unsigned long long)i * g_count / n)]);
  }
  fputs("]}\n", out);
  return fclose(out) != 0;
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : ".";
  if (load_dictionary()) return 1;
  if (write_input(dir, "n1e4.json", "definately", 10, 10000)) return 1;
  if (write_input(dir, "n1e5.json", "pronounciation", 10, 100000)) return 1;
  if (write_input(dir, "large.json", "accomodations", 25, 0)) return 1;
  return 0;
}
