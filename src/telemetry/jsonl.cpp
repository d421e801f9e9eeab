// invocations.jsonl writer and reader.
#include "lumos/telemetry/jsonl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "lumos/protocol/frame.hpp"

namespace lumos::telemetry {

Result<JsonlWriter> JsonlWriter::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return fail(ErrorCode::kIo, "cannot open " + path.string() + ": " + std::strerror(errno));
  return JsonlWriter(fd);
}

JsonlWriter::JsonlWriter(JsonlWriter&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

JsonlWriter::~JsonlWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> JsonlWriter::write(const Invocation& inv) {
  std::string line = to_json(inv).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  return protocol::write_all(fd_, line);
}

Result<std::vector<Invocation>> read_invocations(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return fail(ErrorCode::kIo, "cannot read " + path.string() + " (is this a results folder?)");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  std::vector<Invocation> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    auto j = nlohmann::json::parse(lines[i], nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      if (i + 1 == lines.size()) break;  // the writer was killed mid-line
      return fail(ErrorCode::kIo, path.string() + ":" + std::to_string(i + 1) + ": not a JSON object");
    }
    out.push_back(invocation_from_json(j));
  }
  return out;
}

}  // namespace lumos::telemetry
