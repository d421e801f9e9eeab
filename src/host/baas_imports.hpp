// The "lumos" import module of lumos-wasm-host: key-value (BaaS) calls of wasm guests, served
// over the host's own Redis connection (address from $LUMOS_BAAS_ADDR, host:port).
#pragma once

#include <wasmedge/wasmedge.h>

namespace lumos::host {

/// Creates the import module "lumos" with kv_get, kv_take, kv_put and kv_error. The caller
/// registers it with the executor and deletes it (WasmEdge_ModuleInstanceDelete) after use.
WasmEdge_ModuleInstanceContext* create_baas_imports();

}  // namespace lumos::host
