// Results files: invocations.jsonl (one JSON object per line, appended as it happens).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

/// What read_invocations() found in a results file.
struct ResultsFile {
  std::vector<Invocation> invocations;  ///< in file order
  /// Line number of a torn last line that was skipped (a writer killed mid-line), 0 if none.
  std::size_t torn_line = 0;
};

/// Reads invocations.jsonl, the one reader of results. A torn last line is skipped and
/// reported in `torn_line`; any other line that is not a JSON object, or holds a field of the
/// wrong type, fails with kConfig naming the file and line ("x/invocations.jsonl:7: field
/// 'e2e_ns' has the wrong type"). A missing file fails with kIo.
Result<ResultsFile> read_invocations(const std::filesystem::path& path);

/// A results folder as every view reads it.
struct ResultsFolder {
  std::filesystem::path dir;
  nlohmann::json manifest;              ///< manifest.json as read; null if there is none
  std::vector<Invocation> invocations;  ///< records without a profile get the run's (manifest `profile`)
  std::size_t torn_line = 0;            ///< as in ResultsFile
};

/// Reads DIR/invocations.jsonl (required) and DIR/manifest.json (optional; unreadable JSON
/// there is an error naming it).
Result<ResultsFolder> read_results(const std::filesystem::path& dir);

/// The environment profile name a manifest records for its run ("" for none).
std::string manifest_profile_name(const nlohmann::json& manifest);

}  // namespace lumos::telemetry
