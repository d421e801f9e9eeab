/* Lumos guest SDK runtime: the framed loop (native, and wasm32 command modules built with
 * LUMOS_WASM_COMMAND for crun's WasmEdge handler) or the reactor exports (wasm32, for
 * lumos-wasm-host). The frame encoding matches include/lumos/protocol/frame.hpp. Over 400
 * lines on purpose: the guest runtime is one file that the builder compiles beside every
 * handler, for every target. */
#include "lumos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LUMOS_MAX_PHASES 16
#define LUMOS_KIND_OK 0
#define LUMOS_KIND_ERROR 1
#define LUMOS_KIND_READY 2

struct lumos_phase {
  const char* name;
  uint64_t total_ns;
  uint64_t started_ns;
};

struct lumos_ctx {
  uint8_t* body;
  size_t body_len, body_cap;
  int failed;
  struct lumos_phase phases[LUMOS_MAX_PHASES];
  int n_phases;
};

/* The encoded response message (length prefix included), reused across requests. */
static uint8_t* g_msg;
static size_t g_msg_len, g_msg_cap;
/* Zygote mode (native --lumos-zygote): the time from before fork() to the child running. */
static uint64_t g_fork_ns;

uint64_t lumos_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void reserve(uint8_t** buf, size_t* cap, size_t need) {
  if (need <= *cap) return;
  size_t cap2 = *cap ? *cap : 256;
  while (cap2 < need) cap2 *= 2;
  uint8_t* p = (uint8_t*)realloc(*buf, cap2);
  if (!p) abort(); /* out of memory: the host records the crash */
  *buf = p;
  *cap = cap2;
}

void lumos_write(lumos_ctx* ctx, const void* data, size_t len) {
  reserve(&ctx->body, &ctx->body_cap, ctx->body_len + len);
  memcpy(ctx->body + ctx->body_len, data, len);
  ctx->body_len += len;
}

int lumos_fail(lumos_ctx* ctx, const char* message) {
  ctx->failed = 1;
  ctx->body_len = 0;
  lumos_write(ctx, message, strlen(message));
  return 1;
}

static struct lumos_phase* find_phase(lumos_ctx* ctx, const char* name) {
  for (int i = 0; i < ctx->n_phases; ++i) {
    if (strcmp(ctx->phases[i].name, name) == 0) return &ctx->phases[i];
  }
  if (ctx->n_phases == LUMOS_MAX_PHASES) return NULL;
  struct lumos_phase* p = &ctx->phases[ctx->n_phases++];
  p->name = name;
  p->total_ns = 0;
  p->started_ns = 0;
  return p;
}

void lumos_phase_begin(lumos_ctx* ctx, const char* name) {
  struct lumos_phase* p = find_phase(ctx, name);
  if (p) p->started_ns = lumos_now_ns();
}

void lumos_phase_end(lumos_ctx* ctx, const char* name) {
  uint64_t now = lumos_now_ns();
  struct lumos_phase* p = find_phase(ctx, name);
  if (p && p->started_ns) {
    p->total_ns += now - p->started_ns;
    p->started_ns = 0;
  }
}

static void put_le(uint8_t* at, uint64_t v, int width) {
  for (int i = 0; i < width; ++i) at[i] = (uint8_t)(v >> (8 * i));
}

/* Encodes kind + metrics + body as one message into g_msg. */
static void encode(int kind, const char* const* names, const uint64_t* values, int n, const uint8_t* body,
                   size_t body_len) {
  size_t len = 2 + body_len;
  for (int i = 0; i < n; ++i) len += 1 + strlen(names[i]) + 8;
  reserve(&g_msg, &g_msg_cap, 4 + len);
  uint8_t* p = g_msg;
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

#if defined(LUMOS_WASM_COMMAND) && !defined(LUMOS_NO_BAAS)
#define LUMOS_NO_BAAS /* a WASI command has no host functions to reach Redis with */
#define LUMOS_BAAS_UNAVAILABLE
#endif

#ifndef LUMOS_NO_BAAS
/* BaaS mode. A request that starts with the 8 bytes "\0LUMOSKV" is an envelope:
 * u16 key length + key of the input object, u16 key length + key for the output object.
 * The SDK fetches the input from the key-value store ("baas_get"), runs the handler on it,
 * stores the handler's output ("baas_put") and answers {"stored":"KEY","bytes":N}.
 * Native builds talk to Redis with hiredis (address in $LUMOS_BAAS_ADDR, host:port); wasm
 * builds call host imports that lumos-wasm-host serves over its own Redis connection. */
static const uint8_t kBaasMagic[8] = {0, 'L', 'U', 'M', 'O', 'S', 'K', 'V'};

/* Both return 0 on success; on failure they write a message into err. */
static int kv_get(const char* key, size_t klen, uint8_t** out, size_t* out_len, char* err, size_t errcap);
static int kv_put(const char* key, size_t klen, const uint8_t* v, size_t vlen, char* err, size_t errcap);

#ifdef __wasm__
__attribute__((import_module("lumos"), import_name("kv_get"))) int64_t lumos_host_kv_get(const char* key,
                                                                                         uint32_t klen);
__attribute__((import_module("lumos"), import_name("kv_take"))) int32_t lumos_host_kv_take(uint8_t* dst, uint32_t len);
__attribute__((import_module("lumos"), import_name("kv_put"))) int32_t lumos_host_kv_put(const char* key, uint32_t klen,
                                                                                         const uint8_t* v,
                                                                                         uint32_t vlen);
__attribute__((import_module("lumos"), import_name("kv_error"))) int32_t lumos_host_kv_error(char* dst, uint32_t cap);

static int kv_get(const char* key, size_t klen, uint8_t** out, size_t* out_len, char* err, size_t errcap) {
  int64_t len = lumos_host_kv_get(key, (uint32_t)klen);
  if (len < 0) {
    lumos_host_kv_error(err, (uint32_t)errcap);
    return -1;
  }
  *out = (uint8_t*)malloc(len ? (size_t)len : 1);
  if (!*out) abort();
  lumos_host_kv_take(*out, (uint32_t)len);
  *out_len = (size_t)len;
  return 0;
}

static int kv_put(const char* key, size_t klen, const uint8_t* v, size_t vlen, char* err, size_t errcap) {
  if (lumos_host_kv_put(key, (uint32_t)klen, v, (uint32_t)vlen) != 0) {
    lumos_host_kv_error(err, (uint32_t)errcap);
    return -1;
  }
  return 0;
}
#else
#include <hiredis/hiredis.h>
#include <stdio.h>

static redisContext* g_redis; /* one connection per instance, reused while warm */

static int kv_connect(char* err, size_t errcap) {
  if (g_redis && !g_redis->err) return 0;
  if (g_redis) redisFree(g_redis);
  g_redis = NULL;
  const char* addr = getenv("LUMOS_BAAS_ADDR");
  const char* colon = addr ? strrchr(addr, ':') : NULL;
  if (!colon) {
    snprintf(err, errcap, "no BaaS address: LUMOS_BAAS_ADDR is not set");
    return -1;
  }
  char host[256];
  size_t hl = (size_t)(colon - addr) < sizeof host - 1 ? (size_t)(colon - addr) : sizeof host - 1;
  memcpy(host, addr, hl);
  host[hl] = '\0';
  struct timeval tv = {2, 0};
  g_redis = redisConnectWithTimeout(host, atoi(colon + 1), tv);
  if (!g_redis || g_redis->err) {
    snprintf(err, errcap, "cannot connect to Redis at %s: %s", addr, g_redis ? g_redis->errstr : "oom");
    return -1;
  }
  redisSetTimeout(g_redis, tv);
  const char* password = getenv("LUMOS_BAAS_PASSWORD");
  if (password && *password) {
    redisReply* r = (redisReply*)redisCommand(g_redis, "AUTH %s", password);
    int ok = r && r->type != REDIS_REPLY_ERROR;
    if (r) freeReplyObject(r);
    if (!ok) {
      snprintf(err, errcap, "Redis at %s refused LUMOS_BAAS_PASSWORD", addr);
      return -1;
    }
  }
  return 0;
}

static int kv_get(const char* key, size_t klen, uint8_t** out, size_t* out_len, char* err, size_t errcap) {
  if (kv_connect(err, errcap) != 0) return -1;
  redisReply* r = (redisReply*)redisCommand(g_redis, "GET %b", key, klen);
  if (!r) {
    snprintf(err, errcap, "Redis GET failed: %s", g_redis->errstr);
    return -1;
  }
  int rc = -1;
  if (r->type == REDIS_REPLY_STRING) {
    *out = (uint8_t*)malloc(r->len ? r->len : 1);
    if (!*out) abort();
    memcpy(*out, r->str, r->len);
    *out_len = r->len;
    rc = 0;
  } else if (r->type == REDIS_REPLY_NIL) {
    snprintf(err, errcap, "key '%.*s' not found", (int)klen, key);
  } else {
    snprintf(err, errcap, "Redis GET error: %s", r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
  }
  freeReplyObject(r);
  return rc;
}

static int kv_put(const char* key, size_t klen, const uint8_t* v, size_t vlen, char* err, size_t errcap) {
  if (kv_connect(err, errcap) != 0) return -1;
  redisReply* r = (redisReply*)redisCommand(g_redis, "SET %b %b", key, klen, v, vlen);
  if (!r) {
    snprintf(err, errcap, "Redis SET failed: %s", g_redis->errstr);
    return -1;
  }
  int rc = r->type == REDIS_REPLY_STATUS ? 0 : -1;
  if (rc != 0) snprintf(err, errcap, "Redis SET error: %s", r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
  freeReplyObject(r);
  return rc;
}
#endif

static uint64_t g_baas_in, g_baas_out;

/* Runs a BaaS envelope: get input, handle, put output. Returns 0 if it was not an envelope. */
static int serve_baas(lumos_ctx* ctx, const uint8_t* req, size_t len) {
  if (len < 12 || memcmp(req, kBaasMagic, 8) != 0) return 0;
  size_t at = 8;
  size_t in_klen = (size_t)req[at] | (size_t)req[at + 1] << 8;
  at += 2;
  if (at + in_klen + 2 > len) return lumos_fail(ctx, "malformed BaaS envelope"), 1;
  const char* in_key = (const char*)req + at;
  at += in_klen;
  size_t out_klen = (size_t)req[at] | (size_t)req[at + 1] << 8;
  at += 2;
  if (at + out_klen > len) return lumos_fail(ctx, "malformed BaaS envelope"), 1;
  const char* out_key = (const char*)req + at;
  char err[300];
  uint8_t* object = NULL;
  size_t object_len = 0;
  lumos_phase_begin(ctx, "baas_get");
  int rc = kv_get(in_key, in_klen, &object, &object_len, err, sizeof err);
  lumos_phase_end(ctx, "baas_get");
  if (rc != 0) {
    char msg[360];
    snprintf(msg, sizeof msg, "baas_get: %s", err);
    return lumos_fail(ctx, msg), 1;
  }
  g_baas_in = object_len;
  rc = lumos_handle(ctx, object, object_len);
  free(object);
  if (rc != 0 || ctx->failed) {
    if (!ctx->failed) lumos_fail(ctx, "handler returned non-zero");
    return 1;
  }
  lumos_phase_begin(ctx, "baas_put");
  rc = kv_put(out_key, out_klen, ctx->body, ctx->body_len, err, sizeof err);
  lumos_phase_end(ctx, "baas_put");
  if (rc != 0) {
    char msg[360];
    snprintf(msg, sizeof msg, "baas_put: %s", err);
    return lumos_fail(ctx, msg), 1;
  }
  g_baas_out = ctx->body_len;
  char reply[320];
  int n = snprintf(reply, sizeof reply, "{\"stored\":\"%.*s\",\"bytes\":%llu}", (int)out_klen, out_key,
                   (unsigned long long)ctx->body_len);
  ctx->body_len = 0;
  lumos_write(ctx, reply, (size_t)n);
  return 1;
}
#endif

/* The calibration request "\0LUMOSCB" + u32 n: n rounds of xorshift64, answered with the final
 * state in decimal. A fixed amount of compute the same in every build of every function, which
 * lumos times to tell AoT code from an interpreter where the engine cannot be asked (crun's
 * WasmEdge handler): about 1 ns a round as native or AoT code, ~100x that interpreted. */
static const uint8_t kCalibrationMagic[8] = {0, 'L', 'U', 'M', 'O', 'S', 'C', 'B'};

static int serve_calibration(lumos_ctx* ctx, const uint8_t* req, size_t len) {
  if (len != 12 || memcmp(req, kCalibrationMagic, 8) != 0) return 0;
  uint32_t n = (uint32_t)req[8] | (uint32_t)req[9] << 8 | (uint32_t)req[10] << 16 | (uint32_t)req[11] << 24;
  uint64_t x = 88172645463325252ull;
  for (uint32_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  char text[24];
  int w = snprintf(text, sizeof text, "%llu", (unsigned long long)x);
  lumos_write(ctx, text, (size_t)w);
  return 1;
}

/* Runs the handler on one request and leaves the response message in g_msg. */
static void serve(const uint8_t* input, size_t input_len) {
  static lumos_ctx ctx;
  ctx.body_len = 0;
  ctx.failed = 0;
  ctx.n_phases = 0;
  uint64_t t0 = lumos_now_ns();
  int rc = 0;
  int handled = serve_calibration(&ctx, input, input_len);
#ifndef LUMOS_NO_BAAS
  g_baas_in = g_baas_out = 0;
  if (!handled) handled = serve_baas(&ctx, input, input_len);
#elif defined(LUMOS_BAAS_UNAVAILABLE)
  static const uint8_t kEnvelope[8] = {0, 'L', 'U', 'M', 'O', 'S', 'K', 'V'};
  if (!handled && input_len >= 8 && memcmp(input, kEnvelope, 8) == 0) {
    handled = 1;
    lumos_fail(&ctx,
               "BaaS is not available in a WASI command module: it needs lumos' host functions (kv_get, "
               "kv_put), which crun's WasmEdge handler does not provide");
  }
#endif
  if (!handled) rc = lumos_handle(&ctx, input, input_len);
  uint64_t t1 = lumos_now_ns();
  if (rc != 0 && !ctx.failed) lumos_fail(&ctx, "handler returned non-zero");
  const char* names[LUMOS_MAX_PHASES + 4];
  uint64_t values[LUMOS_MAX_PHASES + 4];
  int n = 0;
  int timed_compute = 0;
  for (int i = 0; i < ctx.n_phases; ++i) {
    names[n] = ctx.phases[i].name;
    values[n++] = ctx.phases[i].total_ns;
    if (strncmp(ctx.phases[i].name, "baas_", 5) != 0) timed_compute = 1;
  }
  if (!timed_compute) {
    /* The handler timed nothing: all of it (less BaaS time) is "compute". */
    uint64_t total = t1 - t0;
    for (int i = 0; i < ctx.n_phases; ++i) total -= ctx.phases[i].total_ns;
    names[n] = "compute";
    values[n++] = total;
  }
  names[n] = "@exec_mode";
  values[n++] = LUMOS_EXEC_MODE;
  if (g_fork_ns) {
    names[n] = "fork";
    values[n++] = g_fork_ns;
  }
#ifndef LUMOS_NO_BAAS
  if (handled) {
    names[n] = "@baas_bytes_in";
    values[n++] = g_baas_in;
    names[n] = "@baas_bytes_out";
    values[n++] = g_baas_out;
  }
#endif
  encode(ctx.failed ? LUMOS_KIND_ERROR : LUMOS_KIND_OK, names, values, n, ctx.body, ctx.body_len);
}

#if defined(__wasm__) && !defined(LUMOS_WASM_COMMAND)

/* Reactor exports used by lumos-wasm-host. lumos_alloc returns the request buffer (at least
 * `size` bytes), valid until the next lumos_alloc, so the host reuses it for every request
 * that fits. lumos_invoke runs the handler and returns the address of the response message
 * (u32 length prefix + payload) in linear memory. */
static uint8_t* g_in;
static size_t g_in_cap;

__attribute__((export_name("lumos_alloc"))) uint8_t* lumos_alloc(uint32_t size) {
  reserve(&g_in, &g_in_cap, size ? size : 1);
  return g_in;
}

__attribute__((export_name("lumos_invoke"))) uint8_t* lumos_invoke(uint8_t* input, uint32_t input_len) {
  serve(input, input_len);
  return g_msg;
}

#else /* the framed loop: native main(), or a WASI command's _start */

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#ifdef __wasm__
#include <wasi/api.h>
#endif

static int read_exact(int fd, uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static int write_all(int fd, const uint8_t* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = write(fd, buf + done, n - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}

/* Where the protocol runs. Native: LUMOS_PROTOCOL_FDS="IN,OUT" names inherited fds (a container
 * engine relays stdio through its own process; fds it preserves it does not), else stdin and
 * stdout. WASI command (crun's WasmEdge handler): a module sees only its own fd table, stdio
 * (the container's, which crun passes through) and preopens, not the container's fds 3/4. So
 * the protocol keeps stdin and the stdout pipe, moved to a new fd number, and the guest's own
 * prints to stdout go to /dev/null instead of into the responses. */
static void protocol_fds(int* in_fd, int* out_fd) {
  *in_fd = 0;
  *out_fd = 1;
#ifdef __wasm__
  int spare = open("/dev/null", O_WRONLY);
  if (spare < 0) {
    fprintf(stderr, "lumos: cannot open /dev/null (%s): guest prints to stdout would corrupt responses\n",
            strerror(errno));
    return;
  }
  if (__wasi_fd_renumber(1, (__wasi_fd_t)spare) != 0) return; /* fd `spare` is the stdout pipe now */
  *out_fd = spare;
  int null_fd = open("/dev/null", O_WRONLY); /* fd 1 is free: the lowest number is taken */
  if (null_fd >= 0 && null_fd != 1 && __wasi_fd_renumber((__wasi_fd_t)null_fd, 1) != 0) close(null_fd);
#else
  const char* fds = getenv("LUMOS_PROTOCOL_FDS");
  if (fds && sscanf(fds, "%d,%d", in_fd, out_fd) != 2) *in_fd = 0, *out_fd = 1;
#endif
}

#ifndef __wasm__
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/* Zygote mode: each request is served by a new process forked from this pre-initialised one,
 * which answers and exits; a crash of the child is answered with an error frame. */
static int serve_forked(int out_fd, const uint8_t* input, size_t len) {
  uint64_t t0 = lumos_now_ns();
  pid_t parent = getpid();
  pid_t pid = fork();
  char text[112];
  if (pid < 0) {
    int w = snprintf(text, sizeof text, "the zygote could not fork: %s", strerror(errno));
    encode(LUMOS_KIND_ERROR, NULL, NULL, 0, (const uint8_t*)text, (size_t)w);
    return write_all(out_fd, g_msg, g_msg_len);
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the zygote, which lumos kills on a timeout */
    if (getppid() != parent) _exit(1);
    g_fork_ns = lumos_now_ns() - t0;
    if (g_fork_ns == 0) g_fork_ns = 1;
    serve(input, len);
    _exit(write_all(out_fd, g_msg, g_msg_len) != 0 ? 1 : 0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status) == 0 ? 0 : -1;
  int w = snprintf(text, sizeof text, "the forked instance was killed by signal %d (%s) before it answered",
                   WTERMSIG(status), strsignal(WTERMSIG(status)));
  encode(LUMOS_KIND_ERROR, NULL, NULL, 0, (const uint8_t*)text, (size_t)w);
  return write_all(out_fd, g_msg, g_msg_len);
}
#endif

int main(int argc, char** argv) {
  uint64_t main_at = lumos_now_ns();
  int zygote = 0;
#ifndef __wasm__
  zygote = argc > 1 && strcmp(argv[1], "--lumos-zygote") == 0;
#else
  (void)argc;
  (void)argv;
#endif
  int in_fd, out_fd;
  protocol_fds(&in_fd, &out_fd);
  const char* names[] = {"@main_at_ns", "@exec_mode"};
  uint64_t values[] = {main_at, LUMOS_EXEC_MODE};
  encode(LUMOS_KIND_READY, names, values, 2, (const uint8_t*)"ready", 5);
  if (write_all(out_fd, g_msg, g_msg_len) != 0) return 1;
  uint8_t* input = NULL;
  size_t input_cap = 0;
  for (;;) {
    uint8_t header[4];
    if (read_exact(in_fd, header, 4) != 0) return 0; /* end of input: done */
    size_t len = (size_t)header[0] | (size_t)header[1] << 8 | (size_t)header[2] << 16 | (size_t)header[3] << 24;
    reserve(&input, &input_cap, len + 1);
    if (read_exact(in_fd, input, len) != 0) return 1;
#ifndef __wasm__
    if (zygote) {
      if (serve_forked(out_fd, input, len) != 0) return 1;
      continue;
    }
#endif
    serve(input, len);
    if (write_all(out_fd, g_msg, g_msg_len) != 0) return 1;
  }
}

#endif
