// Names every view shares: the display order of runtimes and the groups of phase names.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace lumos {

/// The order in which tables, plots and lists show runtimes: the floor (kFloorRuntime), then
/// native, then containers, then Wasm. Runtimes not listed come after, alphabetically.
inline constexpr std::array<std::string_view, 18> kRuntimeOrder = {"floor",
                                                                   "native",
                                                                   "native-gcc",
                                                                   "runc",
                                                                   "runc-debian",
                                                                   "crun",
                                                                   "crun-debian",
                                                                   "podman",
                                                                   "podman-debian",
                                                                   "wasmedge-interp",
                                                                   "wasmedge-aot",
                                                                   "wasmedge-aot-zygote",
                                                                   "crun-wasmedge-interp",
                                                                   "crun-wasmedge-aot",
                                                                   "podman-crun-wasmedge-interp",
                                                                   "podman-crun-wasmedge-aot",
                                                                   "runc-wasmedge",
                                                                   "fake"};

/// The pseudo-runtime that measures the floor beside the runtimes: a bare pipe ping-pong between
/// lumos and a second process, with the run's placement. Views state warm round trips as
/// multiples of it, and leave it out of every choice of a runtime (it runs no function).
inline constexpr std::string_view kFloorRuntime = "floor";

/// Position of a runtime in kRuntimeOrder (kRuntimeOrder.size() for others).
std::size_t runtime_rank(std::string_view runtime);
/// Sorts runtimes by kRuntimeOrder, others alphabetically.
bool runtime_less(std::string_view a, std::string_view b);

/// Phases that only a freshly started instance reports: they partition its start. `wrapper` is
/// lumos' packaging of an engine that a node would not pay (crun's private mount namespace).
inline constexpr std::array<std::string_view, 8> kStartPhases = {
    "wrapper", "sandbox_start", "runtime_init", "aot_check", "load", "validate", "instantiate", "start_other"};
/// Phases that partition the start of a new instance inside a live sandbox (mode `instance`):
/// `fork` (a process forked from a zygote), `wasi_setup` (a new store, WASI environment and
/// imports), `instantiate` (module instance and linear memory), `first_call` (the first call
/// into the new guest).
inline constexpr std::array<std::string_view, 4> kInstanceStartPhases = {"fork", "wasi_setup", "instantiate",
                                                                         "first_call"};
/// In-function phases that move and (de)serialize data.
inline constexpr std::array<std::string_view, 2> kSerdePhases = {"deserialize", "serialize"};
inline constexpr std::array<std::string_view, 2> kBaasPhases = {"baas_get", "baas_put"};

/// A phase of kStartPhases or kInstanceStartPhases.
bool is_start_phase(std::string_view phase);

}  // namespace lumos
