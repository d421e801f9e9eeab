/* Input generator for hello: writes medium.json (a 10 KB message, also committed as
 * inputs/medium.json) and large.json (a 100 KB message) into the current directory. The text is
 * words picked by splitmix64 with a fixed seed, so every build writes the same bytes, in the
 * compact form nlohmann-json writes (the echoed output is then byte-identical to the input). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static const char* const kWords[] = {
    "lumos",   "function", "sandbox", "container", "module",  "native",  "interpreter", "ahead", "of",    "time",
    "cold",    "warm",     "start",   "latency",   "request", "payload", "serverless",  "edge",  "cloud", "memory",
    "runtime", "the",      "a",       "and",       "runs",    "fast",    "small",       "wasm"};

static int write_message(const char* name, size_t length, uint64_t seed) {
  FILE* f = fopen(name, "wb");
  if (!f) {
    perror(name);
    return 1;
  }
  fputs("{\"message\":\"", f);
  size_t written = 0;
  uint64_t state = seed;
  int sentence_start = 1;
  while (written < length) {
    const char* word = kWords[splitmix64(&state) % (sizeof kWords / sizeof kWords[0])];
    char piece[32];
    int end_sentence = splitmix64(&state) % 12 == 0;
    int n = snprintf(piece, sizeof piece, "%s%s%s", sentence_start ? "" : " ", word, end_sentence ? "." : "");
    if (sentence_start && piece[0] >= 'a' && piece[0] <= 'z') piece[0] = (char)(piece[0] - 'a' + 'A');
    if (end_sentence) n += snprintf(piece + n, sizeof piece - (size_t)n, " ");
    if (written + (size_t)n > length) n = (int)(length - written);
    fwrite(piece, 1, (size_t)n, f);
    written += (size_t)n;
    sentence_start = end_sentence;
  }
  fputs("\"}", f);
  return fclose(f) == 0 ? 0 : 1;
}

int main(void) {
  if (write_message("medium.json", 10 * 1024, 10)) return 1;
  if (write_message("large.json", 100 * 1024, 100)) return 1;
  return 0;
}
