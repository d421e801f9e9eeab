/* faulty: a test fixture that misbehaves on demand. Input "trap" traps (wasm unreachable /
 * SIGILL natively), "spin" never returns, "fail" reports an error, anything else is echoed. */
#include "lumos.h"

#include <string.h>

static int is(const uint8_t *input, size_t len, const char *word) {
  return len == strlen(word) && memcmp(input, word, len) == 0;
}

int lumos_handle(lumos_ctx *ctx, const uint8_t *input, size_t input_len) {
  if (is(input, input_len, "trap")) __builtin_trap();
  if (is(input, input_len, "spin")) {
    volatile uint64_t x = 0;
    for (;;) ++x;
  }
  if (is(input, input_len, "fail")) return lumos_fail(ctx, "asked to fail");
  lumos_write(ctx, input, input_len);
  return 0;
}
