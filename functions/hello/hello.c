/* hello: echoes its input, the smallest possible function (measures pure overhead). */
#include "lumos.h"

int lumos_handle(lumos_ctx *ctx, const uint8_t *input, size_t input_len) {
  lumos_write(ctx, input, input_len);
  return 0;
}
