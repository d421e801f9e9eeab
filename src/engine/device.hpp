// The device guard: one cgroup slot per cell or trace pass, entered by every spawn; without a
// slot, the CPU placement of a sequential cell (client thread and instance pinned).
// Internal to src/engine.
#pragma once

#include <sched.h>

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
    if (scope_) *scope_ = nullptr;  // drops the slot (removing its groups) or the CPU pinning
    if (client_mask_) sched_setaffinity(0, sizeof(cpu_set_t), client_mask_.get());
  }

  /// A slot for a profile that limits CPU or memory; else, for a sequential cell, the plan's
  /// placement: the calling (client) thread pinned for the cell, every spawn pinned too.
  static Result<Device> open(const RunPlan& plan, bool sequential = true) {
    Device device;
    if (plan.profile && plan.profile->limits_resources() && plan.spawn_scope) {
      auto made = env::CgroupSlot::create(*plan.profile);
      if (!made) {
        return fail(made.error().code, "applying profile " + plan.profile->name + ": " + made.error().message);
      }
      std::shared_ptr<env::CgroupSlot> slot(std::move(*made));
      *plan.spawn_scope = [slot]() -> Result<std::function<void()>> {
        auto in = slot->enter_calling_thread();
        if (!in) return tl::unexpected(in.error());
        auto guard = std::make_shared<env::ThreadInSlot>(std::move(*in));
        return [guard] { guard->leave(); };
      };
      device.scope_ = plan.spawn_scope;
      // The device's CPUs hold the instance, lumos keeps off them.
      device.placement_ = plan.profile->cpuset.empty() ? telemetry::Placement::kFree : telemetry::Placement::kCrossCpu;
      return device;
    }
    if (!sequential || !plan.spawn_scope) return device;
    const PlacementCpus cpus = placement_cpus(plan.placement);
    if (cpus.placement == telemetry::Placement::kFree) return device;
    device.client_mask_ = std::make_unique<cpu_set_t>();
    if (sched_getaffinity(0, sizeof(cpu_set_t), device.client_mask_.get()) != 0) {
      device.client_mask_.reset();
      return device;
    }
    if (!pin_calling_thread(cpus.client)) return device;
    const int client = cpus.client, instance = cpus.instance;
    *plan.spawn_scope = [client, instance]() -> Result<std::function<void()>> {
      if (!pin_calling_thread(instance))
        return fail(ErrorCode::kSpawn, "cannot pin to CPU " + std::to_string(instance));
      return [client] { pin_calling_thread(client); };
    };
    device.scope_ = plan.spawn_scope;
    device.placement_ = cpus.placement;
    return device;
  }

  /// What the cell's records say about placement.
  telemetry::Placement placement() const { return placement_; }

 private:
  std::shared_ptr<SpawnScope> scope_;
  std::unique_ptr<cpu_set_t> client_mask_;  ///< the thread's affinity before the cell (restored)
  telemetry::Placement placement_ = telemetry::Placement::kFree;
};

}  // namespace lumos::engine::run_detail
