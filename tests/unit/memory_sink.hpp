// An invocation sink that keeps the records in memory and can fail after N writes (a full disk).
#pragma once

#include <vector>

#include "lumos/telemetry/jsonl.hpp"

namespace lumos::testing {

class MemorySink final : public telemetry::InvocationSink {
 public:
  Result<void> write(const telemetry::Invocation& inv) override {
    if (fail_after_ >= 0 && static_cast<int>(records.size()) >= fail_after_) {
      return fail(ErrorCode::kIo, "disk full");
    }
    records.push_back(inv);
    return {};
  }
  std::vector<telemetry::Invocation> records;
  int fail_after_ = -1;
};

}  // namespace lumos::testing
