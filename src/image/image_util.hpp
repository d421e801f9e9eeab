// Helpers shared by the image sources (private to src/image): files, digests, locks, tools.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lumos/common/files.hpp"
#include "lumos/common/result.hpp"

namespace lumos::image::detail {

/// The OCI index annotation that names an image's tag.
inline constexpr const char* kRefName = "org.opencontainers.image.ref.name";

/// Writes via a temporary file and rename, so readers never see half a file.
Result<void> write_file_atomic(const std::filesystem::path& path, const std::string& text);
/// "sha256:<hex>" of a file's content; empty if unreadable.
std::string file_digest(const std::filesystem::path& path);
/// Path of a blob "sha256:<hex>" in an OCI layout.
std::filesystem::path blob_path(const std::filesystem::path& layout, const std::string& digest);
/// Per-layout bookkeeping (stamps, cached layer listings): a folder beside the layout.
std::filesystem::path cache_dir(const std::filesystem::path& layout);

/// An exclusive flock(2) held until destruction (serialises lumos processes on one layout).
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

/// Runs a tool to completion with stdout and stderr in separate files (up to `timeout`).
/// Fails with kNotInstalled if it is missing, kBuild naming `what` and the output tail if
/// it exits non-zero. Returns its stdout.
Result<std::string> run_tool(const std::vector<std::string>& argv, const std::string& what,
                             std::chrono::milliseconds timeout = std::chrono::minutes(5));

}  // namespace lumos::image::detail
