// Factories of the runtime backends (private to src/runtime; use make_runtime()).
#pragma once

#include <map>
#include <memory>

#include "lumos/runtime/runtime.hpp"

namespace lumos::runtime {

std::unique_ptr<Runtime> make_native_runtime();
std::unique_ptr<Runtime> make_runc_runtime(const ToolPaths& tools);
/// aot=false: forced interpreter on the plain module; aot=true: the AoT module.
std::unique_ptr<Runtime> make_wasmedge_runtime(const ToolPaths& tools, bool aot);
std::unique_ptr<Runtime> make_fake_runtime();

}  // namespace lumos::runtime
