// Whole-file reads and writes.
#include "lumos/common/files.hpp"

#include <fstream>
#include <sstream>

namespace lumos {

Result<std::string> read_file(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, "cannot read " + std::string(what) + " '" + path.string() + "': check the path");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::kIo, "error while reading " + std::string(what) + " '" + path.string() + "'");
  return ss.str();
}

std::string read_file_or_empty(const std::filesystem::path& path) { return read_file(path).value_or(std::string()); }

Result<void> write_file(const std::filesystem::path& path, std::string_view text, std::string_view what) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out)
    return fail(ErrorCode::kIo, "cannot write " + std::string(what) + " '" + path.string() +
                                    "': check the folder exists and is writable");
  return {};
}

}  // namespace lumos
