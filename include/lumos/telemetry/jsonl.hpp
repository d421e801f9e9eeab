// Results files: invocations.jsonl (one JSON object per line, appended as it happens).
#pragma once

#include <filesystem>
#include <vector>

#include "lumos/common/result.hpp"
#include "lumos/telemetry/record.hpp"

namespace lumos::telemetry {

/// Receives invocation records as they happen (the engine writes through this).
class InvocationSink {
 public:
  virtual ~InvocationSink() = default;
  virtual Result<void> write(const Invocation& inv) = 0;
};

/// Appends one line per record with a single write(2) on an O_APPEND file, so a killed run
/// keeps every line it wrote and never a half line from a later one.
class JsonlWriter final : public InvocationSink {
 public:
  static Result<JsonlWriter> open(const std::filesystem::path& path);
  JsonlWriter(JsonlWriter&& other) noexcept;
  JsonlWriter(const JsonlWriter&) = delete;
  ~JsonlWriter() override;
  Result<void> write(const Invocation& inv) override;

 private:
  explicit JsonlWriter(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// Reads invocations.jsonl. A truncated last line (killed writer) is skipped; a malformed
/// line elsewhere fails with kIo naming the line number.
Result<std::vector<Invocation>> read_invocations(const std::filesystem::path& path);

}  // namespace lumos::telemetry
