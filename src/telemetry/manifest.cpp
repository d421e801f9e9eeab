// Environment fingerprint and JSON file helpers for manifest.json.
#include "lumos/telemetry/manifest.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "lumos/common/process.hpp"

namespace lumos::telemetry {
namespace {

std::string first_line(const std::string& text) {
  auto end = text.find('\n');
  std::string line = text.substr(0, end);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::uint64_t mem_total_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  while (in >> key >> kb) {
    if (key == "MemTotal:") return kb * 1024;
    in.ignore(256, '\n');
  }
  return 0;
}

}  // namespace

nlohmann::json environment_fingerprint(const ToolVersionCommands& tools, const std::filesystem::path& source_dir) {
  nlohmann::json env;
  utsname u{};
  uname(&u);
  env["cpu_model"] = cpu_model();
  env["cpus_online"] = sysconf(_SC_NPROCESSORS_ONLN);
  env["mem_total_bytes"] = mem_total_bytes();
  env["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.version;
  env["machine"] = u.machine;
  env["hostname"] = u.nodename;
  nlohmann::json versions = nlohmann::json::object();
  for (const auto& [name, argv] : tools) {
    auto out = run_command(argv);
    versions[name] = out && out->exit_code == 0 ? first_line(out->out) : "not found";
  }
  env["versions"] = versions;
  auto rev = run_command({"git", "-C", source_dir.string(), "rev-parse", "HEAD"});
  env["git_revision"] = rev && rev->exit_code == 0 ? first_line(rev->out) : "unknown";
  auto dirty = run_command({"git", "-C", source_dir.string(), "status", "--porcelain", "--untracked-files=no"});
  env["git_dirty"] = dirty && dirty->exit_code == 0 && !dirty->out.empty();
  return env;
}

Result<void> write_json_file(const std::filesystem::path& path, const nlohmann::json& j) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << '\n';
    if (!out) return fail(ErrorCode::kIo, "cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot write " + path.string() + ": " + ec.message());
  return {};
}

Result<nlohmann::json> read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return fail(ErrorCode::kIo, "cannot read " + path.string());
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::kIo, path.string() + " is not valid JSON");
  return j;
}

}  // namespace lumos::telemetry
