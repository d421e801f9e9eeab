// The device guard: one cgroup slot per cell or trace pass, entered by every spawn.
// Internal to src/engine.
#pragma once

#include <functional>
#include <memory>

#include "lumos/engine/runner.hpp"
#include "lumos/env/cgroup.hpp"

namespace lumos::engine::run_detail {

/// The environment profile's limits for one cell or trace pass: a fresh cgroup slot (one
/// device) that the runtime's instances (processes, wasm hosts, `runc run`, `podman run`) are
/// spawned into through plan.spawn_scope. Declared before the cell's instances, so they are
/// gone when it closes the slot.
class Device {
 public:
  Device() = default;
  Device(Device&&) = default;
  Device& operator=(Device&&) = delete;  // one device at a time: plan.spawn_scope is shared
  ~Device() {
    if (scope_) *scope_ = nullptr;  // drops the slot, which removes its groups
  }

  /// No slot without a profile that limits CPU or memory.
  static Result<Device> open(const RunPlan& plan) {
    Device device;
    if (!plan.profile || !plan.profile->limits_resources() || !plan.spawn_scope) return device;
    auto made = env::CgroupSlot::create(*plan.profile);
    if (!made) return fail(made.error().code, "applying profile " + plan.profile->name + ": " + made.error().message);
    std::shared_ptr<env::CgroupSlot> slot(std::move(*made));
    *plan.spawn_scope = [slot]() -> Result<std::function<void()>> {
      auto in = slot->enter_calling_thread();
      if (!in) return tl::unexpected(in.error());
      auto guard = std::make_shared<env::ThreadInSlot>(std::move(*in));
      return [guard] { guard->leave(); };
    };
    device.scope_ = plan.spawn_scope;
    return device;
  }

 private:
  std::shared_ptr<SpawnScope> scope_;
};

}  // namespace lumos::engine::run_detail
