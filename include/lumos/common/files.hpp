// Reading and writing whole files: the helpers every module uses.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "lumos/common/result.hpp"

namespace lumos {

/// The bytes of a file. Fails with kIo naming `what` and the path ("cannot read trace 'x.csv'").
Result<std::string> read_file(const std::filesystem::path& path, std::string_view what = "file");

/// The bytes of a file, or "" when it cannot be read (for optional files: stamps, logs).
std::string read_file_or_empty(const std::filesystem::path& path);

/// Replaces a file's bytes with `text`. Fails with kIo naming `what` and the path.
Result<void> write_file(const std::filesystem::path& path, std::string_view text, std::string_view what = "file");

}  // namespace lumos
