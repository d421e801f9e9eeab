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
/// spawned into through plan.spawn_scope while the device is entered. Declared before the
/// cell's instances, so they are gone when it closes the slot. Without a slot, a sequential
/// cell's CPU placement: while entered, the calling (client) thread is pinned and every spawn
/// is pinned too. Interleaved cells each keep their device (and instance) for the whole run and
/// enter it for each of their steps; one device is entered at a time (plan.spawn_scope is shared).
class Device {
 public:
  Device() = default;
  Device(Device&&) = default;
  Device& operator=(Device&&) = default;

  /// A slot for a profile that limits CPU or memory; else, for a sequential cell, the plan's
  /// placement.
  static Result<Device> open(const RunPlan& plan, bool sequential = true) {
    Device device;
    device.scope_ = plan.spawn_scope;
    if (plan.profile && plan.profile->limits_resources() && plan.spawn_scope) {
      auto made = env::CgroupSlot::create(*plan.profile);
      if (!made) {
        return fail(made.error().code, "applying profile " + plan.profile->name + ": " + made.error().message);
      }
      std::shared_ptr<env::CgroupSlot> slot(std::move(*made));
      device.spawn_ = [slot]() -> Result<std::function<void()>> {
        auto in = slot->enter_calling_thread();
        if (!in) return tl::unexpected(in.error());
        auto guard = std::make_shared<env::ThreadInSlot>(std::move(*in));
        return [guard] { guard->leave(); };
      };
      // The device's CPUs hold the instance, lumos keeps off them.
      device.placement_ = plan.profile->cpuset.empty() ? telemetry::Placement::kFree : telemetry::Placement::kCrossCpu;
      return device;
    }
    if (!sequential || !plan.spawn_scope) return device;
    const PlacementCpus cpus = placement_cpus(plan.placement);
    if (cpus.placement == telemetry::Placement::kFree) return device;
    const int client = cpus.client, instance = cpus.instance;
    device.spawn_ = [client, instance]() -> Result<std::function<void()>> {
      if (!pin_calling_thread(instance))
        return fail(ErrorCode::kSpawn, "cannot pin to CPU " + std::to_string(instance));
      return [client] { pin_calling_thread(client); };
    };
    device.client_cpu_ = client;
    device.placement_ = cpus.placement;
    return device;
  }

  /// While alive: spawns go through this device, and the client thread is pinned to its CPU.
  class Entered {
   public:
    Entered(const Entered&) = delete;
    Entered& operator=(const Entered&) = delete;
    ~Entered() {
      if (scope_) *scope_ = nullptr;
      if (mask_) sched_setaffinity(0, sizeof(cpu_set_t), mask_.get());  // the thread's affinity before
    }

   private:
    friend class Device;
    explicit Entered(const Device& d) {
      if (!d.spawn_ || !d.scope_) return;
      if (d.client_cpu_ >= 0) {
        mask_ = std::make_unique<cpu_set_t>();
        if (sched_getaffinity(0, sizeof(cpu_set_t), mask_.get()) != 0 || !pin_calling_thread(d.client_cpu_)) {
          mask_.reset();
          return;  // not pinned: spawns are not pinned either
        }
      }
      scope_ = d.scope_;
      *scope_ = d.spawn_;
    }
    std::shared_ptr<SpawnScope> scope_;
    std::unique_ptr<cpu_set_t> mask_;
  };
  Entered enter() const { return Entered(*this); }

  /// What the cell's records say about placement.
  telemetry::Placement placement() const { return placement_; }

 private:
  std::shared_ptr<SpawnScope> scope_;
  SpawnScope spawn_;     ///< what spawns do while entered (enter the slot, or pin)
  int client_cpu_ = -1;  ///< where the client thread runs while entered (-1: unpinned)
  telemetry::Placement placement_ = telemetry::Placement::kFree;
};

}  // namespace lumos::engine::run_detail
