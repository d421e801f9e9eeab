// Experiment file parsing and validation.
#include "lumos/engine/experiment.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "lumos/common/files.hpp"
#include "lumos/runtime/runtime.hpp"

namespace lumos::engine {
namespace fs = std::filesystem;

namespace {

nlohmann::json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& kv : node) j[kv.first.as<std::string>()] = to_json(kv.second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& v : node) j.push_back(to_json(v));
      return j;
    }
    case YAML::NodeType::Scalar:
      return node.as<std::string>();
    default:
      return nullptr;
  }
}

std::vector<std::string> string_list(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.as<std::string>());
  } else {
    for (const auto& v : node) out.push_back(v.as<std::string>());
  }
  return out;
}

// `adaptive: true` or `adaptive: {target: 0.05, level: 0.95, min: 10}`; the experiment's
// repetitions are the most a cell runs.
Result<stats::StopRule> parse_adaptive(const YAML::Node& a, int repetitions) {
  stats::StopRule rule;
  rule.max_n = static_cast<std::size_t>(repetitions);
  if (a.IsScalar() && a.as<bool>()) return rule;
  const std::string usage =
      "'adaptive' is true or {target: 0.05, level: 0.95, min: 10} (stop a cell when the "
      "median's CI half-width is under target x median; repetitions is the most)";
  if (!a.IsMap()) return fail(ErrorCode::kConfig, usage);
  for (const auto& kv : a) {
    const auto key = kv.first.as<std::string>();
    if (key == "target")
      rule.target_rel_half_width = kv.second.as<double>();
    else if (key == "level")
      rule.level = kv.second.as<double>();
    else if (key == "min")
      rule.min_n = kv.second.as<std::size_t>();
    else
      return fail(ErrorCode::kConfig, "unknown key '" + key + "' in adaptive; " + usage);
  }
  if (!(rule.target_rel_half_width > 0 && rule.target_rel_half_width < 1)) {
    return fail(ErrorCode::kConfig, "adaptive.target is a fraction of the median between 0 and 1 (e.g. 0.05)");
  }
  if (!(rule.level > 0.5 && rule.level < 1))
    return fail(ErrorCode::kConfig, "adaptive.level is between 0.5 and 1 (e.g. 0.95)");
  if (rule.min_n < 3 || rule.min_n > rule.max_n) {
    return fail(ErrorCode::kConfig, fmt::format("adaptive.min must be between 3 and repetitions ({})", repetitions));
  }
  return rule;
}

}  // namespace

Result<Experiment> parse_experiment(const std::string& text, const fs::path& base_dir, const std::string& origin) {
  auto error = [&](const std::string& what) { return fail(ErrorCode::kConfig, origin + ": " + what); };
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return error(std::string("not valid YAML: ") + e.what());
  }
  if (!root.IsMap()) return error("expected a mapping with at least 'functions'");
  static const std::set<std::string> kKnown = {
      "name",       "description",      "functions",     "runtimes", "modes", "repetitions", "warmup",
      "timeout_ms", "start_timeout_ms", "function_dirs", "io",       "baas",  "load",        "pool",
      "profile",    "adaptive",         "placement",     "order",    "batch", "seed"};
  Experiment ex;
  try {
    for (const auto& kv : root) {
      auto key = kv.first.as<std::string>();
      if (!kKnown.count(key)) {
        std::string list;
        for (const auto& k : kKnown) list += (list.empty() ? "" : ", ") + k;
        return error("unknown key '" + key + "' (known keys: " + list + ")");
      }
    }
    ex.raw = to_json(root);
    ex.name = root["name"] ? root["name"].as<std::string>() : "experiment";
    if (root["description"]) ex.description = root["description"].as<std::string>();
    if (!root["functions"] || !root["functions"].IsSequence() || root["functions"].size() == 0) {
      return error("'functions' must list at least one function (a name, or {name, inputs})");
    }
    for (const auto& f : root["functions"]) {
      FunctionSelection sel;
      if (f.IsScalar()) {
        sel.name = f.as<std::string>();
      } else if (f.IsMap() && f["name"] && (f["sources"] || f["prebuilt"] || f["kind"] || f["command"])) {
        auto spec = build::parse_function_spec(f, base_dir, origin + " (function " + f["name"].as<std::string>() + ")");
        if (!spec) return tl::unexpected(spec.error());
        sel.name = spec->name;
        sel.inline_spec = std::move(*spec);
      } else if (f.IsMap() && f["name"]) {
        sel.name = f["name"].as<std::string>();
        for (const auto& kv : f) {
          static const std::set<std::string> kKeys = {"name", "inputs", "runtimes", "modes", "io", "repetitions"};
          if (!kKeys.count(kv.first.as<std::string>())) {
            return error("unknown key '" + kv.first.as<std::string>() + "' in function " + sel.name +
                         " (a selection takes name, inputs, runtimes, modes, io, repetitions; an inline "
                         "definition needs sources, prebuilt or kind)");
          }
        }
        if (f["inputs"]) sel.inputs = string_list(f["inputs"]);
        if (f["runtimes"]) sel.runtimes = string_list(f["runtimes"]);
        if (f["modes"]) sel.modes = string_list(f["modes"]);
        if (f["io"]) sel.io = string_list(f["io"]);
        if (f["repetitions"]) sel.repetitions = f["repetitions"].as<int>();
      } else {
        return error("each entry of 'functions' is a name or a mapping with 'name'");
      }
      ex.functions.push_back(std::move(sel));
    }
    ex.runtimes = root["runtimes"] ? string_list(root["runtimes"]) : runtime::runtime_names();
    for (const auto& r : ex.runtimes) {
      const auto& names = runtime::all_runtime_names();
      if (r != "fake" && std::find(names.begin(), names.end(), r) == names.end()) {
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        return error("unknown runtime '" + r + "' in 'runtimes' (known: " + list + ")");
      }
    }
    ex.modes = root["modes"] ? string_list(root["modes"]) : std::vector<std::string>{"cold", "warm"};
    for (const auto& m : ex.modes) {
      if (m != "cold" && m != "warm" && m != "instance") {
        return error("mode '" + m + "' must be cold, warm or instance");
      }
    }
    if (root["io"]) ex.io = string_list(root["io"]);
    for (const auto& io : ex.io) {
      if (io != "direct" && io != "baas") return error("io '" + io + "' must be direct or baas");
    }
    for (const auto& sel : ex.functions) {
      for (const auto& m : sel.modes) {
        if (m != "cold" && m != "warm" && m != "instance")
          return error("mode '" + m + "' of function " + sel.name + " must be cold, warm or instance");
      }
      for (const auto& io : sel.io) {
        if (io != "direct" && io != "baas")
          return error("io '" + io + "' of function " + sel.name + " must be direct or baas");
      }
      if (sel.repetitions < 0) return error("'repetitions' of function " + sel.name + " must be at least 1");
    }
    if (root["profile"]) {
      auto profile = env::resolve_profile(root["profile"], base_dir, origin);
      if (!profile) return tl::unexpected(profile.error());
      ex.profile = std::move(*profile);
    }
    std::optional<nlohmann::json> pool;
    if (root["pool"]) {
      pool = to_json(root["pool"]);
      if (!pool->is_object()) return error("'pool' is a mapping: {keep_alive_ms, max_instances, prewarm}");
    }
    if (root["load"]) {
      const nlohmann::json load = to_json(root["load"]);
      if (!load.is_object())
        return error("'load' is a mapping: {kind: closed, concurrency: [...]} or {kind: open, rates: [...]}");
      auto spec = parse_load(load, pool, origin, base_dir);
      if (!spec) return tl::unexpected(spec.error());
      ex.load = std::move(*spec);
    } else if (pool) {
      return error(
          "'pool' configures the instance pool of a 'load' section; add one (e.g. load: {kind: closed, concurrency: "
          "[1, 4]})");
    }
    if (const auto& b = root["baas"]) {
      if (!b.IsMap() || !b["address"]) {
        return error("'baas' takes {address: host:port, password: ...} of an existing Redis (password optional)");
      }
      ex.baas_address = b["address"].as<std::string>();
      if (b["password"]) ex.baas_password = b["password"].as<std::string>();
    }
    if (root["repetitions"]) ex.repetitions = root["repetitions"].as<int>();
    if (ex.repetitions < 1) return error("'repetitions' must be at least 1");
    if (const auto& a = root["adaptive"]; a && !(a.IsScalar() && !a.as<bool>())) {
      auto rule = parse_adaptive(a, ex.repetitions);
      if (!rule) return error(rule.error().message);
      ex.adaptive = *rule;
    }
    if (root["placement"]) {
      const auto word = root["placement"].as<std::string>();
      auto placement = telemetry::parse_placement(word);
      if (!placement) {
        return error("placement '" + word +
                     "' must be same-cpu (lumos' client and the instance on one CPU, the default), cross-cpu "
                     "(on two) or free (where the scheduler puts them)");
      }
      ex.placement = *placement;
    }
    if (root["order"]) {
      const auto word = root["order"].as<std::string>();
      if (word != "interleaved" && word != "sequential") {
        return error("order '" + word +
                     "' must be interleaved (rounds of every cell in a shuffled order, the default) or sequential "
                     "(each cell whole, one after another)");
      }
      ex.interleaved = word == "interleaved";
    }
    if (root["batch"]) ex.batch = root["batch"].as<int>();
    if (ex.batch < 1) return error("'batch' (repetitions of a cell per round) must be at least 1");
    if (root["seed"]) ex.seed = root["seed"].as<std::uint64_t>();
    if (root["warmup"]) ex.warmup = root["warmup"].as<int>();
    if (ex.warmup < 0) return error("'warmup' must be 0 or more");
    if (root["timeout_ms"]) ex.timeout = std::chrono::milliseconds(root["timeout_ms"].as<int>());
    if (root["start_timeout_ms"]) {
      ex.start_timeout = std::chrono::milliseconds(root["start_timeout_ms"].as<int>());
    }
    if (ex.timeout.count() <= 0 || ex.start_timeout.count() <= 0) {
      return error("'timeout_ms' and 'start_timeout_ms' must be positive");
    }
    if (root["function_dirs"]) {
      for (const auto& d : string_list(root["function_dirs"])) {
        fs::path p = fs::path(d).is_absolute() ? fs::path(d) : base_dir / d;
        ex.function_dirs.push_back(p.lexically_normal());
      }
    }
  } catch (const YAML::Exception& e) {
    return error(std::string("wrong type: ") + e.what());
  }
  ex.function_dirs.push_back(fs::path(LUMOS_SOURCE_DIR) / "functions");
  return ex;
}

Result<Experiment> load_experiment(const fs::path& file) {
  auto text = read_file(file);
  if (!text) return fail(ErrorCode::kConfig, file.string() + ": cannot read the experiment file (does it exist?)");
  auto ex = parse_experiment(*text, fs::absolute(file).parent_path(), file.string());
  if (ex) ex->file = fs::absolute(file);
  return ex;
}

}  // namespace lumos::engine
