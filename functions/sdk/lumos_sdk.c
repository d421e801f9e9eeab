/* Lumos guest SDK runtime: the framed stdio loop (native) or the reactor exports (wasm32).
 * The frame encoding matches include/lumos/protocol/frame.hpp. */
#include "lumos.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LUMOS_MAX_PHASES 16
#define LUMOS_KIND_OK 0
#define LUMOS_KIND_ERROR 1
#define LUMOS_KIND_READY 2

struct lumos_phase {
  const char *name;
  uint64_t total_ns;
  uint64_t started_ns;
};

struct lumos_ctx {
  uint8_t *body;
  size_t body_len, body_cap;
  int failed;
  struct lumos_phase phases[LUMOS_MAX_PHASES];
  int n_phases;
};

/* The encoded response message (length prefix included), reused across requests. */
static uint8_t *g_msg;
static size_t g_msg_len, g_msg_cap;

uint64_t lumos_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void reserve(uint8_t **buf, size_t *cap, size_t need) {
  if (need <= *cap) return;
  size_t cap2 = *cap ? *cap : 256;
  while (cap2 < need) cap2 *= 2;
  uint8_t *p = (uint8_t *)realloc(*buf, cap2);
  if (!p) abort(); /* out of memory: the host records the crash */
  *buf = p;
  *cap = cap2;
}

void lumos_write(lumos_ctx *ctx, const void *data, size_t len) {
  reserve(&ctx->body, &ctx->body_cap, ctx->body_len + len);
  memcpy(ctx->body + ctx->body_len, data, len);
  ctx->body_len += len;
}

int lumos_fail(lumos_ctx *ctx, const char *message) {
  ctx->failed = 1;
  ctx->body_len = 0;
  lumos_write(ctx, message, strlen(message));
  return 1;
}

static struct lumos_phase *find_phase(lumos_ctx *ctx, const char *name) {
  for (int i = 0; i < ctx->n_phases; ++i) {
    if (strcmp(ctx->phases[i].name, name) == 0) return &ctx->phases[i];
  }
  if (ctx->n_phases == LUMOS_MAX_PHASES) return NULL;
  struct lumos_phase *p = &ctx->phases[ctx->n_phases++];
  p->name = name;
  p->total_ns = 0;
  p->started_ns = 0;
  return p;
}

void lumos_phase_begin(lumos_ctx *ctx, const char *name) {
  struct lumos_phase *p = find_phase(ctx, name);
  if (p) p->started_ns = lumos_now_ns();
}

void lumos_phase_end(lumos_ctx *ctx, const char *name) {
  uint64_t now = lumos_now_ns();
  struct lumos_phase *p = find_phase(ctx, name);
  if (p && p->started_ns) {
    p->total_ns += now - p->started_ns;
    p->started_ns = 0;
  }
}

static void put_le(uint8_t *at, uint64_t v, int width) {
  for (int i = 0; i < width; ++i) at[i] = (uint8_t)(v >> (8 * i));
}

/* Encodes kind + metrics + body as one message into g_msg. */
static void encode(int kind, const char *const *names, const uint64_t *values, int n,
                   const uint8_t *body, size_t body_len) {
  size_t len = 2 + body_len;
  for (int i = 0; i < n; ++i) len += 1 + strlen(names[i]) + 8;
  reserve(&g_msg, &g_msg_cap, 4 + len);
  uint8_t *p = g_msg;
  put_le(p, len, 4);
  p += 4;
  *p++ = (uint8_t)kind;
  *p++ = (uint8_t)n;
  for (int i = 0; i < n; ++i) {
    size_t nl = strlen(names[i]);
    *p++ = (uint8_t)nl;
    memcpy(p, names[i], nl);
    p += nl;
    put_le(p, values[i], 8);
    p += 8;
  }
  if (body_len) memcpy(p, body, body_len);
  g_msg_len = 4 + len;
}

#ifdef __wasm__
#define LUMOS_EXEC_MODE 255 /* the wasm host knows whether it interpreted or ran AoT code */
#else
#define LUMOS_EXEC_MODE 0 /* native */
#endif

/* Runs the handler on one request and leaves the response message in g_msg. */
static void serve(const uint8_t *input, size_t input_len) {
  static lumos_ctx ctx;
  ctx.body_len = 0;
  ctx.failed = 0;
  ctx.n_phases = 0;
  uint64_t t0 = lumos_now_ns();
  int rc = lumos_handle(&ctx, input, input_len);
  uint64_t t1 = lumos_now_ns();
  if (rc != 0 && !ctx.failed) lumos_fail(&ctx, "handler returned non-zero");
  const char *names[LUMOS_MAX_PHASES + 2];
  uint64_t values[LUMOS_MAX_PHASES + 2];
  int n = 0;
  for (int i = 0; i < ctx.n_phases; ++i) {
    names[n] = ctx.phases[i].name;
    values[n++] = ctx.phases[i].total_ns;
  }
  if (n == 0) {
    names[n] = "compute";
    values[n++] = t1 - t0;
  }
  names[n] = "@exec_mode";
  values[n++] = LUMOS_EXEC_MODE;
  encode(ctx.failed ? LUMOS_KIND_ERROR : LUMOS_KIND_OK, names, values, n, ctx.body,
         ctx.body_len);
}

#ifdef __wasm__

/* Reactor exports used by lumos-wasm-host. lumos_alloc returns the request buffer (at least
 * `size` bytes), valid until the next lumos_alloc, so the host reuses it for every request
 * that fits. lumos_invoke runs the handler and returns the address of the response message
 * (u32 length prefix + payload) in linear memory. */
static uint8_t *g_in;
static size_t g_in_cap;

__attribute__((export_name("lumos_alloc"))) uint8_t *lumos_alloc(uint32_t size) {
  reserve(&g_in, &g_in_cap, size ? size : 1);
  return g_in;
}

__attribute__((export_name("lumos_invoke"))) uint8_t *lumos_invoke(uint8_t *input,
                                                                    uint32_t input_len) {
  serve(input, input_len);
  return g_msg;
}

#else /* native: framed stdio loop */

#include <errno.h>
#include <unistd.h>

static int read_exact(int fd, uint8_t *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static int write_all(int fd, const uint8_t *buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = write(fd, buf + done, n - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}

int main(void) {
  uint64_t main_at = lumos_now_ns();
  const char *names[] = {"@main_at_ns", "@exec_mode"};
  uint64_t values[] = {main_at, 0};
  encode(LUMOS_KIND_READY, names, values, 2, (const uint8_t *)"native", 6);
  if (write_all(1, g_msg, g_msg_len) != 0) return 1;
  uint8_t *input = NULL;
  size_t input_cap = 0;
  for (;;) {
    uint8_t header[4];
    if (read_exact(0, header, 4) != 0) return 0; /* end of input: done */
    size_t len = (size_t)header[0] | (size_t)header[1] << 8 | (size_t)header[2] << 16 |
                 (size_t)header[3] << 24;
    reserve(&input, &input_cap, len + 1);
    if (read_exact(0, input, len) != 0) return 1;
    serve(input, len);
    if (write_all(1, g_msg, g_msg_len) != 0) return 1;
  }
}

#endif
