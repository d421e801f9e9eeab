// Loading results folders for the model: raw JSON lines (so optional driver fields survive),
// profiles from the manifest, module sizes from images or artifacts, and per-cell medians.
#include "lumos/model/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "lumos/env/profile.hpp"
#include "lumos/stats/quality.hpp"

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
  for (const nlohmann::json* p : {m.contains("profile") ? &m["profile"] : nullptr,
                                  m.contains("experiment") && m["experiment"].is_object() && m["experiment"].contains("profile")
                                      ? &m["experiment"]["profile"]
                                      : nullptr}) {
    if (!p) continue;
    if (p->is_string()) {
      std::string name = fs::path(p->get<std::string>()).stem().string();  // "edge-pi" or "profiles/edge-pi.yaml"
      return name;
    }
    if (p->is_object()) {
      const std::string name = p->contains("name") && (*p)["name"].is_string() ? (*p)["name"].get<std::string>() : "custom";
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

std::string runtime_flavour_for_images(const std::string& runtime,
                                       const std::set<std::string>& flavours) {
  if (runtime == "wasmedge-interp") return "wasm";
  if (runtime == "wasmedge-aot") return "wasm-aot";
  if (runtime == "runc" || runtime == "podman") {
    return flavours.count("container-debian") ? "container-debian" : "container-scratch";
  }
  if (runtime == "runc-wasmedge") return "wasm";
  return "container-scratch";  // native: the bare executable, as in the scratch image
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

std::string CellKey::label() const {
  std::string s = fmt::format("{}/{} {} {} {}", function, input, runtime, mode, io);
  if (profile != "cloud") s += " " + profile;
  if (concurrency != 1) s += fmt::format(" c{}", concurrency);
  return s;
}

std::optional<double> parse_utc_ms(const std::string& iso) {
  std::tm tm{};
  int ms = 0;
  char tail = 0;
  // 2026-11-27T04:14:33.052Z (fraction optional)
  int n = std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon,
                      &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &tail);
  if (n < 6) return std::nullopt;
  if (n == 6) ms = 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<double>(t) * 1000.0 + ms;
}

Result<std::vector<ImageSize>> read_image_sizes(const fs::path& images_json) {
  std::ifstream in(images_json);
  if (!in) return fail(ErrorCode::kIo, "cannot read " + images_json.string() + " (write it with `lumos images --json FILE`)");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::kConfig, images_json.string() + ": not valid JSON");
  const nlohmann::json* list = &j;
  if (j.is_object() && j.contains("images")) list = &j["images"];
  if (!list->is_array()) return fail(ErrorCode::kConfig, images_json.string() + ": expected an array of images or {\"images\": [...]}");
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
    for (const char* rt : {"native", "runc", "podman", "wasmedge-interp", "wasmedge-aot", "runc-wasmedge"}) {
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
    if (auto s = size_of(entry.path() / (fn + ".wasm"))) m.bytes[fn + "/wasmedge-interp"] = *s;
    if (auto s = size_of(entry.path() / (fn + ".aot.wasm"))) m.bytes[fn + "/wasmedge-aot"] = *s;
  }
  if (!m.bytes.empty()) m.source = "artifacts: " + dir.string();
  return m;
}

Result<Dataset> load_dataset(const fs::path& dir, const LoadOptions& options) {
  return load_datasets({dir}, options);
}

Result<Dataset> load_datasets(const std::vector<fs::path>& dirs, const LoadOptions& options) {
  Dataset d;
  d.profiles = default_profiles();
  if (dirs.empty()) return fail(ErrorCode::kUsage, "no results folder given");
  d.dir = dirs.front();
  for (const auto& dir : dirs) {
    const fs::path file = dir / "invocations.jsonl";
    std::ifstream in(file);
    if (!in) {
      return fail(ErrorCode::kIo, "cannot read " + file.string() +
                                      " (is it a results folder written by `lumos run --out`?)");
    }
    std::string folder_profile = "cloud";
    {
      std::ifstream mf(dir / "manifest.json");
      if (mf) {
        nlohmann::json m = nlohmann::json::parse(mf, nullptr, false);
        if (!m.is_discarded()) {
          read_manifest_profiles(m, d.profiles);
          if (auto p = run_profile(m, d.profiles); !p.empty()) folder_profile = p;
          if (m.contains("environment") && m["environment"].is_object()) {
            d.host_cpus = static_cast<int>(number_or(m["environment"], {"cpus_online", "cores"}, d.host_cpus));
          }
          if (d.manifest.is_null()) d.manifest = std::move(m);
        }
      }
    }
    std::string line;
    std::size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty()) continue;
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        if (in.peek() == EOF) break;  // a truncated last line of a killed run
        return fail(ErrorCode::kConfig, fmt::format("{}:{}: not a JSON object", file.string(), line_no));
      }
      Observation o;
      o.inv = telemetry::invocation_from_json(j);
      o.profile = folder_profile;
      o.offset_ns = optional_number(j, {"offset_ns"});
      const std::string load = string_field(j, "load").value_or("");
      if (auto it = j.find("concurrency"); it != j.end() && it->is_number()) {
        o.concurrency = std::max(1, it->get<int>());
      } else if (load == "closed") {
        o.concurrency = std::max(1, static_cast<int>(std::lround(number_or(j, {"level"}, 1))));
      }
      if (auto it = j.find("profile"); it != j.end()) {
        if (it->is_string()) {
          o.profile = it->get<std::string>();
        } else if (it->is_object() && it->contains("name")) {
          o.profile = (*it)["name"].get<std::string>();
          if (!d.profiles.count(o.profile)) d.profiles[o.profile] = environment_from_json(o.profile, *it);
        }
      }
      for (const char* k : {"cold_start", "met_cold", "instance_cold"}) {
        if (auto it = j.find(k); it != j.end() && it->is_boolean()) o.met_cold = it->get<bool>();
      }
      if (auto it = j.find("instance"); it != j.end() && it->is_string()) {
        if (*it == "cold") o.met_cold = true;
        if (*it == "warm") o.met_cold = false;
      }
      // Load cells (a pool serves them, cold or warm as the load makes it): one cell per level,
      // mode "closed" (concurrency = level) or "open" (arrival rate; not used by the model).
      if (!load.empty()) {
        if (!o.met_cold && (o.inv.mode == "cold" || o.inv.mode == "warm")) o.met_cold = o.inv.mode == "cold";
        o.inv.mode = load;
        if (load == "open") o.concurrency = 0;
      }
      if (!o.inv.ok) {
        ++d.failed;
      } else if (load.empty() && (o.contamination = stats::contamination(o.inv, o.met_cold))) {
        ++d.contaminated;
      }
      d.observations.push_back(std::move(o));
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

std::vector<Cell> make_cells(const Dataset& data) {
  std::map<CellKey, std::vector<const Observation*>> groups;
  for (const auto& o : data.observations) {
    CellKey k{o.inv.function, o.inv.input, o.inv.runtime, o.inv.mode, o.inv.io, o.profile, o.concurrency};
    groups[k].push_back(&o);
  }
  std::vector<Cell> cells;
  for (const auto& [key, obs] : groups) {
    Cell c;
    c.key = key;
    c.n = obs.size();
    std::vector<double> start, compute, serde, io, overhead, cpu, rss, bytes, baas, warm;
    std::map<std::string, std::vector<double>> phases;
    double t_first = INFINITY, t_last = -INFINITY;
    bool times_ok = true;
    for (const Observation* o : obs) {
      if (!o->inv.ok) continue;
      if (o->contamination) {
        ++c.n_contaminated;
        continue;
      }
      const auto& ph = o->inv.phases;
      const auto get = [&](const char* n) {
        auto it = ph.find(n);
        return it == ph.end() ? 0.0 : static_cast<double>(it->second.count());
      };
      double s = 0;
      for (const auto& [name, d] : ph) {
        if (stats::is_start_phase(name)) s += static_cast<double>(d.count());
        phases[name].push_back(static_cast<double>(d.count()));
      }
      const double e2e = static_cast<double>(o->inv.e2e.count());
      const double cmp = get("compute"), sd = get("deserialize") + get("serialize");
      const double bio = get("baas_get") + get("baas_put");
      c.e2e_ns.push_back(e2e);
      const bool cold = o->met_cold ? *o->met_cold : o->inv.mode == "cold";
      if (cold) {
        ++c.n_cold;
      } else {
        warm.push_back(e2e);
      }
      start.push_back(s);
      compute.push_back(cmp);
      serde.push_back(sd);
      io.push_back(bio);
      overhead.push_back(e2e - s - cmp - sd - bio);
      if (o->inv.cpu) cpu.push_back(static_cast<double>(o->inv.cpu->count()));
      if (o->inv.peak_rss_bytes) rss.push_back(static_cast<double>(*o->inv.peak_rss_bytes));
      bytes.push_back(static_cast<double>(o->inv.bytes_in + o->inv.bytes_out));
      baas.push_back(static_cast<double>(o->inv.baas_bytes_in + o->inv.baas_bytes_out));
      // Wall span of the cell: offsets within a load level when recorded, else wall clock.
      if (o->offset_ns) {
        const double t0 = *o->offset_ns / 1e6;
        t_first = std::min(t_first, t0);
        t_last = std::max(t_last, t0 + e2e / 1e6);
      } else if (auto t = parse_utc_ms(o->inv.started_at)) {
        t_first = std::min(t_first, *t);
        t_last = std::max(t_last, *t + e2e / 1e6);
      } else {
        times_ok = false;
      }
    }
    c.n_ok = c.e2e_ns.size();
    if (c.n_ok > 0) {
      c.e2e_median = stats::median(c.e2e_ns);
      c.e2e_p95 = stats::percentile(c.e2e_ns, 95.0);
      if (!warm.empty()) c.warm_e2e_mean = stats::mean(warm);
      c.start = stats::median(start);
      c.compute = stats::median(compute);
      c.serde = stats::median(serde);
      c.io = stats::median(io);
      c.overhead = stats::median(overhead);
      c.cpu_ns = stats::median(cpu);
      c.peak_rss = stats::median(rss);
      c.bytes = stats::median(bytes);
      c.baas_bytes = stats::median(baas);
      for (auto& [name, v] : phases) c.phase_median[name] = stats::median(v);
      const auto marks = stats::mark_outliers(c.e2e_ns);
      c.n_outliers = static_cast<std::size_t>(std::count(marks.begin(), marks.end(), true));
      const double span_ms = t_last - t_first;
      if (times_ok && c.n_ok >= 2 && span_ms > 0) c.throughput_rps = static_cast<double>(c.n_ok) / (span_ms / 1000.0);
    }
    cells.push_back(std::move(c));
  }
  return cells;
}

}  // namespace lumos::model
