// Reading and writing whole files: the helpers every module uses.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "lumos/common/result.hpp"

namespace lumos {

/// The bytes of a file. Fails with kIo naming `what` and the path ("cannot read trace 'x.csv'").
Result<std::string> read_file(const std::filesystem::path& path, std::string_view what = "file");

/// The bytes of a file, or "" when it cannot be read (for optional files: stamps, logs).
std::string read_file_or_empty(const std::filesystem::path& path);

/// The most lumos reads of one output file of a function (read_output_beneath).
inline constexpr std::size_t kMaxOutputBytes = std::size_t{64} << 20;

/// The bytes of a file a function wrote: `relative` is opened inside `dir` without following a
/// symbolic link at any component and without leaving `dir` (openat2 RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS), and must be a regular file of at most `max_bytes`. Anything else -
/// absent, a link, a device, FIFO, socket or folder, a path out of `dir`, too big - fails with
/// kOutputMismatch saying which (functions are untrusted: their outputs may point anywhere).
Result<std::string> read_output_beneath(const std::filesystem::path& dir, const std::string& relative,
                                        std::size_t max_bytes = kMaxOutputBytes);

/// Replaces a file's bytes with `text`. Fails with kIo naming `what` and the path.
Result<void> write_file(const std::filesystem::path& path, std::string_view text, std::string_view what = "file");

}  // namespace lumos
