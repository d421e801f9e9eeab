// Whole-file reads.
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

}  // namespace lumos
