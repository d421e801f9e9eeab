// Host functions behind the guest SDK's BaaS calls (functions/sdk/lumos_sdk.c, wasm side).
#include "baas_imports.hpp"

#include <sys/time.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include <hiredis/hiredis.h>

namespace lumos::host {
namespace {

// One connection per host process, opened on first use and reopened after an error.
struct KvState {
  redisContext* redis = nullptr;
  std::string pending;  // the value of the last kv_get, until kv_take copies it
  std::string error;    // the message of the last failure, for kv_error

  bool connect() {
    if (redis && !redis->err) return true;
    if (redis) redisFree(redis);
    redis = nullptr;
    const char* addr = std::getenv("LUMOS_BAAS_ADDR");
    const char* colon = addr ? std::strrchr(addr, ':') : nullptr;
    if (!colon) {
      error = "no BaaS address: LUMOS_BAAS_ADDR is not set";
      return false;
    }
    std::string host(addr, static_cast<std::size_t>(colon - addr));
    timeval tv{2, 0};
    redis = redisConnectWithTimeout(host.c_str(), std::atoi(colon + 1), tv);
    if (!redis || redis->err) {
      error = std::string("cannot connect to Redis at ") + addr + ": " + (redis ? redis->errstr : "oom");
      return false;
    }
    redisSetTimeout(redis, tv);
    if (const char* password = std::getenv("LUMOS_BAAS_PASSWORD"); password && *password) {
      auto* r = static_cast<redisReply*>(redisCommand(redis, "AUTH %s", password));
      const bool ok = r && r->type != REDIS_REPLY_ERROR;
      error = ok ? "" : std::string("Redis at ") + addr + " refused LUMOS_BAAS_PASSWORD";
      if (r) freeReplyObject(r);
      if (!ok) return false;
    }
    return true;
  }
};

KvState& state() {
  static KvState s;
  return s;
}

// Guest memory [offset, offset+len) or nullptr when out of bounds.
std::uint8_t* guest_bytes(const WasmEdge_CallingFrameContext* frame, std::uint32_t offset, std::uint32_t len) {
  WasmEdge_MemoryInstanceContext* mem = WasmEdge_CallingFrameGetMemoryInstance(frame, 0);
  if (!mem) return nullptr;
  return WasmEdge_MemoryInstanceGetPointer(mem, offset, len);
}

std::uint32_t arg_u32(const WasmEdge_Value* in, int i) {
  return static_cast<std::uint32_t>(WasmEdge_ValueGetI32(in[i]));
}

// kv_get(key_ptr, key_len) -> i64: value length, or -1 with kv_error set.
WasmEdge_Result kv_get(void*, const WasmEdge_CallingFrameContext* frame, const WasmEdge_Value* in,
                       WasmEdge_Value* out) {
  auto& s = state();
  out[0] = WasmEdge_ValueGenI64(-1);
  const auto* key = guest_bytes(frame, arg_u32(in, 0), arg_u32(in, 1));
  if (!key) return WasmEdge_Result_Fail;
  if (!s.connect()) return WasmEdge_Result_Success;
  auto* r = static_cast<redisReply*>(redisCommand(s.redis, "GET %b", key, static_cast<std::size_t>(arg_u32(in, 1))));
  if (!r) {
    s.error = std::string("Redis GET failed: ") + s.redis->errstr;
    return WasmEdge_Result_Success;
  }
  if (r->type == REDIS_REPLY_STRING) {
    s.pending.assign(r->str, r->len);
    out[0] = WasmEdge_ValueGenI64(static_cast<std::int64_t>(r->len));
  } else if (r->type == REDIS_REPLY_NIL) {
    s.error = "key '" + std::string(reinterpret_cast<const char*>(key), arg_u32(in, 1)) + "' not found";
  } else {
    s.error = std::string("Redis GET error: ") + (r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
  }
  freeReplyObject(r);
  return WasmEdge_Result_Success;
}

// kv_take(dst_ptr, len) -> i32 bytes copied: moves the pending value into guest memory.
WasmEdge_Result kv_take(void*, const WasmEdge_CallingFrameContext* frame, const WasmEdge_Value* in,
                        WasmEdge_Value* out) {
  auto& s = state();
  std::uint32_t len = std::min<std::uint32_t>(arg_u32(in, 1), static_cast<std::uint32_t>(s.pending.size()));
  auto* dst = guest_bytes(frame, arg_u32(in, 0), len);
  if (!dst && len) return WasmEdge_Result_Fail;
  // Bytes into guest memory, not a C string.
  if (len) std::memcpy(dst, s.pending.data(), len);  // NOLINT(bugprone-not-null-terminated-result)
  s.pending.clear();
  out[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(len));
  return WasmEdge_Result_Success;
}

// kv_put(key_ptr, key_len, val_ptr, val_len) -> i32: 0, or -1 with kv_error set.
WasmEdge_Result kv_put(void*, const WasmEdge_CallingFrameContext* frame, const WasmEdge_Value* in,
                       WasmEdge_Value* out) {
  auto& s = state();
  out[0] = WasmEdge_ValueGenI32(-1);
  const auto* key = guest_bytes(frame, arg_u32(in, 0), arg_u32(in, 1));
  const auto* value = guest_bytes(frame, arg_u32(in, 2), arg_u32(in, 3));
  if (!key || (!value && arg_u32(in, 3))) return WasmEdge_Result_Fail;
  if (!s.connect()) return WasmEdge_Result_Success;
  auto* r = static_cast<redisReply*>(redisCommand(s.redis, "SET %b %b", key, static_cast<std::size_t>(arg_u32(in, 1)),
                                                  value, static_cast<std::size_t>(arg_u32(in, 3))));
  if (!r) {
    s.error = std::string("Redis SET failed: ") + s.redis->errstr;
    return WasmEdge_Result_Success;
  }
  if (r->type == REDIS_REPLY_STATUS) {
    out[0] = WasmEdge_ValueGenI32(0);
  } else {
    s.error = std::string("Redis SET error: ") + (r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
  }
  freeReplyObject(r);
  return WasmEdge_Result_Success;
}

// kv_error(dst_ptr, cap) -> i32: writes the last error message (NUL-terminated, truncated).
WasmEdge_Result kv_error(void*, const WasmEdge_CallingFrameContext* frame, const WasmEdge_Value* in,
                         WasmEdge_Value* out) {
  auto& s = state();
  std::uint32_t cap = arg_u32(in, 1);
  if (cap == 0) return WasmEdge_Result_Fail;
  std::uint32_t len = std::min<std::uint32_t>(cap - 1, static_cast<std::uint32_t>(s.error.size()));
  auto* dst = guest_bytes(frame, arg_u32(in, 0), len + 1);
  if (!dst) return WasmEdge_Result_Fail;
  std::memcpy(dst, s.error.data(), len);
  dst[len] = 0;
  out[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(len));
  return WasmEdge_Result_Success;
}

void add(WasmEdge_ModuleInstanceContext* module, const char* name, WasmEdge_HostFunc_t fn, int n_params,
         WasmEdge_ValType result) {
  WasmEdge_ValType params[4];
  for (int i = 0; i < n_params; ++i) params[i] = WasmEdge_ValTypeGenI32();
  WasmEdge_FunctionTypeContext* type =
      WasmEdge_FunctionTypeCreate(params, static_cast<std::uint32_t>(n_params), &result, 1);
  WasmEdge_FunctionInstanceContext* func = WasmEdge_FunctionInstanceCreate(type, fn, nullptr, 0);
  WasmEdge_FunctionTypeDelete(type);
  WasmEdge_String s = WasmEdge_StringCreateByCString(name);
  WasmEdge_ModuleInstanceAddFunction(module, s, func);
  WasmEdge_StringDelete(s);
}

}  // namespace

WasmEdge_ModuleInstanceContext* create_baas_imports() {
  WasmEdge_String name = WasmEdge_StringCreateByCString("lumos");
  WasmEdge_ModuleInstanceContext* module = WasmEdge_ModuleInstanceCreate(name);
  WasmEdge_StringDelete(name);
  if (!module) return nullptr;
  add(module, "kv_get", kv_get, 2, WasmEdge_ValTypeGenI64());
  add(module, "kv_take", kv_take, 2, WasmEdge_ValTypeGenI32());
  add(module, "kv_put", kv_put, 4, WasmEdge_ValTypeGenI32());
  add(module, "kv_error", kv_error, 2, WasmEdge_ValTypeGenI32());
  return module;
}

}  // namespace lumos::host
