/* Lumos guest SDK: write one handler, run it unchanged as a native/container executable or as
 * a wasm32-wasi reactor module. See docs/ARCHITECTURE.md ("Function contract"). */
#ifndef LUMOS_SDK_H
#define LUMOS_SDK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lumos_ctx lumos_ctx;

/** Implemented by the function: handle one request. `input` is valid until the call returns.
 *  Write the response with lumos_write(); return 0 on success, or lumos_fail(ctx, "why"). */
int lumos_handle(lumos_ctx* ctx, const uint8_t* input, size_t input_len);

/** Appends bytes to the response body. */
void lumos_write(lumos_ctx* ctx, const void* data, size_t len);

/** Marks the request failed with a message; returns 1 so a handler can `return lumos_fail(...)`. */
int lumos_fail(lumos_ctx* ctx, const char* message);

/** Starts and ends a named phase ("deserialize", "compute", "serialize", "baas_get",
 *  "baas_put"). Times of the same name add up. If a handler records no phase, the whole
 *  handler is reported as "compute". At most 16 distinct names per request. */
void lumos_phase_begin(lumos_ctx* ctx, const char* name);
void lumos_phase_end(lumos_ctx* ctx, const char* name);

/** Monotonic clock in nanoseconds (CLOCK_MONOTONIC; WASI clock_time_get in wasm). */
uint64_t lumos_now_ns(void);

#ifdef __cplusplus
}
#endif

#endif /* LUMOS_SDK_H */
