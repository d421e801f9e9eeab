/* fibonacci: input is n in decimal text; output is fib(n) computed by naive recursion
 * (a CPU-bound workload with many calls), as decimal text. */
#include "lumos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int lumos_handle(lumos_ctx *ctx, const uint8_t *input, size_t input_len) {
  lumos_phase_begin(ctx, "deserialize");
  char text[32];
  if (input_len == 0 || input_len >= sizeof text) return lumos_fail(ctx, "input must be n (0..90)");
  memcpy(text, input, input_len);
  text[input_len] = '\0';
  char *end = NULL;
  long n = strtol(text, &end, 10);
  while (*end == '\n' || *end == ' ') ++end;
  if (*end != '\0' || n < 0 || n > 90) return lumos_fail(ctx, "input must be n (0..90)");
  lumos_phase_end(ctx, "deserialize");

  lumos_phase_begin(ctx, "compute");
  uint64_t result = fib((uint32_t)n);
  lumos_phase_end(ctx, "compute");

  lumos_phase_begin(ctx, "serialize");
  char out[32];
  int len = snprintf(out, sizeof out, "%llu", (unsigned long long)result);
  lumos_write(ctx, out, (size_t)len);
  lumos_phase_end(ctx, "serialize");
  return 0;
}
