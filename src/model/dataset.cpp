// Loading results folders for the model: raw JSON lines (so optional driver fields survive),
// profiles from the manifest, module sizes from images or artifacts, and per-cell medians.
#include "lumos/model/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "lumos/common/vocabulary.hpp"
#include "lumos/env/profile.hpp"
#include "lumos/telemetry/jsonl.hpp"

namespace lumos::model {
namespace fs = std::filesystem;
namespace {

double number_or(const nlohmann::json& j, std::initializer_list<const char*> keys, double fallback) {
  for (const char* k : keys) {
    auto it = j.find(k);
    if (it != j.end() && it->is_number()) return it->get<double>();
  }
  return fallback;
}

std::optional<double> optional_number(const nlohmann::json& j, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = j.find(k);
    if (it != j.end() && it->is_number()) return it->get<double>();
  }
  return std::nullopt;
}

// Profiles a manifest may describe: {"profiles": {name: {...}}} or [{name, ...}], at the top
// level or inside "experiment"; and the run's own profile (see run_profile).
void read_manifest_profiles(const nlohmann::json& m, std::map<std::string, Environment>& out);

// The profile a whole run used: manifest "profile" (env::to_json form, or a name), else the
// experiment's `profile:` (a built-in name, a file path, or an inline mapping). "" if none.
std::string run_profile(const nlohmann::json& m, std::map<std::string, Environment>& profiles) {
  if (!m.is_object()) return "";
  for (const nlohmann::json* p :
       {m.contains("profile") ? &m["profile"] : nullptr,
        m.contains("experiment") && m["experiment"].is_object() && m["experiment"].contains("profile")
            ? &m["experiment"]["profile"]
            : nullptr}) {
    if (!p) continue;
    if (p->is_string()) {
      std::string name = fs::path(p->get<std::string>()).stem().string();  // "edge-pi" or "profiles/edge-pi.yaml"
      return name;
    }
    if (p->is_object()) {
      const std::string name =
          p->contains("name") && (*p)["name"].is_string() ? (*p)["name"].get<std::string>() : "custom";
      profiles[name] = environment_from_json(name, *p);
      return name;
    }
  }
  return "";
}

void read_manifest_profiles(const nlohmann::json& m, std::map<std::string, Environment>& out) {
  if (!m.is_object()) return;
  const auto take = [&](const nlohmann::json& p) {
    if (p.is_object()) {
      for (const auto& [name, v] : p.items()) {
        if (v.is_object()) out[name] = environment_from_json(name, v);
      }
    } else if (p.is_array()) {
      for (const auto& v : p) {
        if (v.is_object() && v.contains("name") && v["name"].is_string()) {
          out[v["name"]] = environment_from_json(v["name"], v);
        }
      }
    }
  };
  if (m.contains("profiles")) take(m["profiles"]);
  if (m.contains("experiment") && m["experiment"].is_object() && m["experiment"].contains("profiles")) {
    take(m["experiment"]["profiles"]);
  }
}

std::optional<std::string> string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it != j.end() && it->is_string()) return it->get<std::string>();
  return std::nullopt;
}

std::string runtime_flavour_for_images(const std::string& runtime, const std::set<std::string>& flavours) {
  if (runtime == "wasmedge-interp" || runtime == "crun-wasmedge-interp" || runtime == "podman-crun-wasmedge-interp")
    return "wasm";
  if (runtime == "wasmedge-aot" || runtime == "wasmedge-aot-zygote" || runtime == "crun-wasmedge-aot" ||
      runtime == "podman-crun-wasmedge-aot" || runtime == "runc-wasmedge")
    return "wasm-aot";
  if (runtime == "runc" || runtime == "podman" || runtime == "crun") {
    return flavours.count("container-debian") ? "container-debian" : "container-scratch";
  }
  if (runtime == "runc-debian" || runtime == "podman-debian" || runtime == "crun-debian") return "container-debian";
  return "container-scratch";  // native (and native-gcc): the bare executable, as in the scratch image
}

}  // namespace

std::map<std::string, Environment> default_profiles() {
  std::map<std::string, Environment> p;
  for (const auto& name : env::builtin_profile_names()) {
    if (auto prof = env::builtin_profile(name)) p[name] = environment_from_json(name, env::to_json(*prof));
  }
  if (!p.count("cloud")) p["cloud"] = Environment{};
  if (p.count("edge-pi")) {
    p["edge"] = p["edge-pi"];
    p["edge"].name = "edge";
  }
  return p;
}

namespace {

// A number, or a string with a unit parsed by the env module's parsers.
std::optional<double> typed(const nlohmann::json& j, const char* key, char kind) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (!it->is_string()) return std::nullopt;
  const std::string text = it->get<std::string>();
  if (kind == 't') {
    if (auto d = env::parse_duration(text)) return static_cast<double>(d->count());  // ns
  } else if (kind == 'b') {
    if (auto b = env::parse_bytes(text)) return static_cast<double>(*b);
  } else if (auto bw = env::parse_bandwidth(text)) {
    return static_cast<double>(*bw);  // bit/s
  }
  return std::nullopt;
}

}  // namespace

Environment environment_from_json(const std::string& name, const nlohmann::json& j) {
  Environment e;
  e.name = name;
  if (!j.is_object()) return e;
  const auto set_quota = [&](double q) {
    if (q > 0) {
      e.cpu_share = std::min(1.0, q);
      e.device_cpus = q;
    }
  };
  // Flat keys.
  if (auto q = optional_number(j, {"cpu_share", "cpus", "cpu_quota"})) set_quota(*q);
  if (auto it = j.find("device_cpus"); it != j.end()) {  // our own to_json: null = the host's CPUs
    e.device_cpus = it->is_number() ? std::optional<double>(it->get<double>()) : std::nullopt;
  }
  e.memory_mb = optional_number(j, {"memory_mb", "mem_mb"});
  e.rtt_ms = number_or(j, {"rtt_ms"}, e.rtt_ms);
  e.bandwidth_mbps = optional_number(j, {"bandwidth_mbps", "bandwidth_mbit"});
  // Sections: env::to_json(Profile) and the experiment's YAML form.
  if (auto it = j.find("cpu"); it != j.end()) {
    if (it->is_number()) set_quota(it->get<double>());
    if (it->is_object()) {
      if (auto q = optional_number(*it, {"quota", "share", "cpus"})) set_quota(*q);
      if (auto cs = it->find("cpuset"); cs != it->end() && cs->is_string()) {
        if (auto cpus = env::parse_cpuset(*cs)) {
          e.device_cpus = std::min(e.device_cpus.value_or(1e9), static_cast<double>(cpus->size()));
        }
      }
    }
  }
  if (auto it = j.find("memory"); it != j.end() && it->is_object()) {
    if (auto b = optional_number(*it, {"limit_bytes"}); b && *b > 0) e.memory_mb = *b / (1024.0 * 1024.0);
    if (auto b = typed(*it, "limit", 'b'); b && *b > 0) e.memory_mb = *b / (1024.0 * 1024.0);
    if (auto mb = optional_number(*it, {"limit_mb", "mb"})) e.memory_mb = mb;
  }
  for (const char* section : {"link", "network"}) {
    auto it = j.find(section);
    if (it == j.end() || !it->is_object()) continue;
    if (auto ns = optional_number(*it, {"rtt_ns"})) e.rtt_ms = *ns / 1e6;
    if (auto ns = typed(*it, "rtt", 't')) e.rtt_ms = *ns / 1e6;
    if (auto ms = optional_number(*it, {"rtt_ms"})) e.rtt_ms = *ms;
    if (auto bps = optional_number(*it, {"bandwidth_bps"}); bps && *bps > 0) e.bandwidth_mbps = *bps / 1e6;
    if (auto bps = typed(*it, "bandwidth", 'w'); bps && *bps > 0) e.bandwidth_mbps = *bps / 1e6;
    if (auto mbps = optional_number(*it, {"bandwidth_mbps", "bandwidth_mbit"})) e.bandwidth_mbps = mbps;
  }
  if (!(e.cpu_share > 0)) e.cpu_share = 1.0;
  return e;
}

nlohmann::json to_json(const Environment& e) {
  nlohmann::json j = {{"cpu_share", e.cpu_share}, {"rtt_ms", e.rtt_ms}};
  j["device_cpus"] = e.device_cpus ? nlohmann::json(*e.device_cpus) : nlohmann::json();
  j["memory_mb"] = e.memory_mb ? nlohmann::json(*e.memory_mb) : nlohmann::json();
  j["bandwidth_mbps"] = e.bandwidth_mbps ? nlohmann::json(*e.bandwidth_mbps) : nlohmann::json();
  return j;
}

Result<std::vector<ImageSize>> read_image_sizes(const fs::path& images_json) {
  std::ifstream in(images_json);
  if (!in)
    return fail(ErrorCode::kIo, "cannot read " + images_json.string() + " (write it with `lumos images --json FILE`)");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::kConfig, images_json.string() + ": not valid JSON");
  const nlohmann::json* list = &j;
  if (j.is_object() && j.contains("images")) list = &j["images"];
  if (!list->is_array())
    return fail(ErrorCode::kConfig, images_json.string() + ": expected an array of images or {\"images\": [...]}");
  std::vector<ImageSize> out;
  for (const auto& e : *list) {
    if (!e.is_object()) continue;
    ImageSize s;
    s.function = string_field(e, "function").value_or("");
    for (const char* k : {"image", "flavour", "flavor", "kind", "variant"}) {
      if (auto v = string_field(e, k)) {
        s.flavour = *v;
        break;
      }
    }
    auto bytes = optional_number(e, {"pulled_bytes", "compressed_bytes", "size_bytes", "bytes"});
    if (s.function.empty() || s.flavour.empty() || !bytes) continue;
    s.pulled_bytes = static_cast<std::uint64_t>(*bytes);
    if (auto u = optional_number(e, {"unpacked_bytes"})) s.unpacked_bytes = static_cast<std::uint64_t>(*u);
    out.push_back(std::move(s));
  }
  return out;
}

Result<ModuleSizes> module_sizes_from_images(const fs::path& images_json) {
  auto images = read_image_sizes(images_json);
  if (!images) return tl::unexpected(images.error());
  std::map<std::string, std::map<std::string, std::uint64_t>> by_fn;  // function -> flavour -> bytes
  std::set<std::string> flavours;
  for (const auto& s : *images) {
    by_fn[s.function][s.flavour] = s.pulled_bytes;
    flavours.insert(s.flavour);
  }
  ModuleSizes m;
  m.source = "images: " + images_json.string();
  for (const auto& [fn, sizes] : by_fn) {
    for (std::string_view name : kRuntimeOrder) {
      const std::string rt(name);
      const auto it = sizes.find(runtime_flavour_for_images(rt, flavours));
      if (it != sizes.end()) m.bytes[fn + "/" + rt] = it->second;
    }
  }
  return m;
}

ModuleSizes module_sizes_from_artifacts(const fs::path& dir) {
  ModuleSizes m;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return m;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory()) continue;
    const std::string fn = entry.path().filename().string();
    const auto size_of = [&](const fs::path& p) -> std::optional<std::uint64_t> {
      std::error_code e;
      auto s = fs::file_size(p, e);
      if (e) return std::nullopt;
      return s;
    };
    if (auto s = size_of(entry.path() / fn)) {
      m.bytes[fn + "/native"] = *s;
      m.bytes[fn + "/runc"] = *s;
    }
    if (auto s = size_of(entry.path() / (fn + ".gcc"))) m.bytes[fn + "/native-gcc"] = *s;
    if (auto s = size_of(entry.path() / (fn + ".wasm"))) m.bytes[fn + "/wasmedge-interp"] = *s;
    if (auto s = size_of(entry.path() / (fn + ".aot.wasm"))) m.bytes[fn + "/wasmedge-aot"] = *s;
    if (auto s = size_of(entry.path() / (fn + ".aot.wasm"))) m.bytes[fn + "/wasmedge-aot-zygote"] = *s;
    if (auto s = size_of(entry.path() / (fn + ".command.wasm"))) {
      m.bytes[fn + "/crun-wasmedge-interp"] = *s;
      m.bytes[fn + "/podman-crun-wasmedge-interp"] = *s;
    }
    if (auto s = size_of(entry.path() / (fn + ".command.aot.wasm"))) {
      m.bytes[fn + "/crun-wasmedge-aot"] = *s;
      m.bytes[fn + "/podman-crun-wasmedge-aot"] = *s;
    }
  }
  if (!m.bytes.empty()) m.source = "artifacts: " + dir.string();
  return m;
}

Result<Dataset> load_dataset(const fs::path& dir, const LoadOptions& options) { return load_datasets({dir}, options); }

Result<Dataset> load_datasets(const std::vector<fs::path>& dirs, const LoadOptions& options) {
  Dataset d;
  d.profiles = default_profiles();
  if (dirs.empty()) return fail(ErrorCode::kUsage, "no results folder given");
  d.dir = dirs.front();
  for (const auto& dir : dirs) {
    auto folder = telemetry::read_results(dir);
    if (!folder) return tl::unexpected(folder.error());
    const nlohmann::json& m = folder->manifest;
    read_manifest_profiles(m, d.profiles);
    const std::string run = run_profile(m, d.profiles);  // also an experiment's `profile:` file or mapping
    if (m.is_object() && m.contains("environment") && m["environment"].is_object()) {
      d.host_cpus = static_cast<int>(number_or(m["environment"], {"cpus_online", "cores"}, d.host_cpus));
    }
    if (d.manifest.is_null()) d.manifest = m;
    if (folder->torn_line > 0) ++d.torn_lines;
    for (auto& inv : folder->invocations) {
      if (inv.profile.empty()) inv.profile = run;
      if (!inv.ok) {
        ++d.failed;
      } else if (cells::contamination(inv)) {
        ++d.contaminated;
      }
      d.records.push_back(std::move(inv));
    }
  }
  if (options.images_json) {
    auto sizes = module_sizes_from_images(*options.images_json);
    if (!sizes) return tl::unexpected(sizes.error());
    d.module_sizes = std::move(*sizes);
  } else if (fs::exists(d.dir / "images.json")) {
    if (auto sizes = module_sizes_from_images(d.dir / "images.json")) d.module_sizes = std::move(*sizes);
  }
  if (d.module_sizes.bytes.empty() && options.artifacts_dir) {
    d.module_sizes = module_sizes_from_artifacts(*options.artifacts_dir);
  }
  return d;
}

}  // namespace lumos::model
