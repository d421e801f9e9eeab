// invocations.jsonl writer and the one reader of results files and folders.
#include "lumos/telemetry/jsonl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "lumos/common/io.hpp"

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
  return write_all(fd_, line);
}

Result<ResultsFile> read_invocations(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(ErrorCode::kIo,
                "cannot read " + path.string() + " (is this a results folder written by `lumos run --out`?)");
  ResultsFile out;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const bool last = in.eof();  // no newline after it: the writer may have been killed mid-line
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      if (last) {
        out.torn_line = line_no;
        break;
      }
      return fail(ErrorCode::kConfig,
                  fmt::format("{}:{}: not a JSON object; fix or remove that line", path.string(), line_no));
    }
    auto inv = invocation_from_json(j);
    if (!inv) return fail(ErrorCode::kConfig, fmt::format("{}:{}: {}", path.string(), line_no, inv.error().message));
    out.invocations.push_back(std::move(*inv));
  }
  return out;
}

std::string manifest_profile_name(const nlohmann::json& manifest) {
  if (!manifest.is_object()) return "";
  const auto it = manifest.find("profile");
  if (it == manifest.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    const auto name = it->find("name");
    if (name != it->end() && name->is_string()) return name->get<std::string>();
  }
  return "";
}

Result<ResultsFolder> read_results(const std::filesystem::path& dir) {
  ResultsFolder folder;
  folder.dir = dir;
  auto file = read_invocations(dir / "invocations.jsonl");
  if (!file) return tl::unexpected(file.error());
  folder.invocations = std::move(file->invocations);
  folder.torn_line = file->torn_line;
  const auto manifest_path = dir / "manifest.json";
  if (std::filesystem::exists(manifest_path)) {
    std::ifstream in(manifest_path);
    folder.manifest = nlohmann::json::parse(in, nullptr, false);
    if (folder.manifest.is_discarded()) {
      return fail(ErrorCode::kConfig, manifest_path.string() + ": not valid JSON; restore it or remove it");
    }
  }
  const std::string profile = manifest_profile_name(folder.manifest);
  if (!profile.empty()) {
    for (auto& inv : folder.invocations) {
      if (inv.profile.empty()) inv.profile = profile;
    }
  }
  return folder;
}

}  // namespace lumos::telemetry
