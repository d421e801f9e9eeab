// Parsing of function definitions: function.yaml files and inline definitions in experiments.
#include "lumos/build/function_spec.hpp"

#include <algorithm>
#include <set>

#include <yaml-cpp/yaml.h>

namespace lumos::build {
namespace fs = std::filesystem;

namespace {

tl::unexpected<Error> config_error(const std::string& origin, const std::string& what) {
  return fail(ErrorCode::kConfig, origin + ": " + what);
}

std::string join(const std::set<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

Result<void> check_keys(const YAML::Node& map, const std::set<std::string>& known, const std::string& origin,
                        const std::string& where) {
  for (const auto& kv : map) {
    auto key = kv.first.as<std::string>();
    if (!known.count(key)) {
      return config_error(origin, "unknown key '" + key + "' in " + where + " (known: " + join(known) + ")");
    }
  }
  return {};
}

Result<FunctionInput> parse_input(const YAML::Node& in, const FunctionSpec& spec, const std::string& origin) {
  static const std::set<std::string> kKnown = {"name",          "file",          "expected", "expected_sha256",
                                               "expected_exit", "expected_files"};
  if (!in.IsMap() || !in["name"] || !in["file"]) {
    return config_error(origin, "each input needs 'name' and 'file' (and optionally 'expected')");
  }
  if (auto ok = check_keys(in, kKnown, origin, "an input"); !ok) return tl::unexpected(ok.error());
  FunctionInput input;
  input.name = in["name"].as<std::string>();
  fs::path rel = in["file"].as<std::string>();
  input.generated = !rel.empty() && *rel.begin() == kGeneratedDir;
  input.file = input.generated ? rel.lexically_relative(kGeneratedDir) : spec.dir / rel;
  if (!input.generated && !fs::exists(input.file)) {
    return config_error(origin, "input file " + input.file.string() + " does not exist");
  }
  if (in["expected"]) {
    input.expected = spec.dir / in["expected"].as<std::string>();
    if (!fs::exists(*input.expected)) {
      return config_error(origin, "expected-output file " + input.expected->string() + " does not exist");
    }
  }
  if (in["expected_sha256"]) {
    input.expected_sha256 = in["expected_sha256"].as<std::string>();
    if (input.expected_sha256->size() != 64) {
      return config_error(origin, "expected_sha256 of input " + input.name + " must be 64 hex digits");
    }
  }
  if (in["expected_exit"]) input.expected_exit = in["expected_exit"].as<int>();
  if (const auto& files = in["expected_files"]) {
    for (const auto& kv : files) {
      fs::path expected = spec.dir / kv.second.as<std::string>();
      if (!fs::exists(expected)) {
        return config_error(origin, "expected file " + expected.string() + " does not exist");
      }
      input.expected_files[kv.first.as<std::string>()] = expected;
    }
  }
  return input;
}

}  // namespace

Result<FunctionSpec> parse_function_spec(const YAML::Node& root, const fs::path& dir, const std::string& origin) {
  if (!root.IsMap()) return config_error(origin, "a function definition is a mapping");
  static const std::set<std::string> kKnown = {"name",   "description", "language",  "kind",    "sources",
                                               "inputs", "prebuilt",    "generator", "command", "baas"};
  FunctionSpec spec;
  spec.dir = fs::absolute(dir).lexically_normal();
  try {
    if (auto ok = check_keys(root, kKnown, origin, "the function"); !ok) return tl::unexpected(ok.error());
    spec.name = root["name"] ? root["name"].as<std::string>() : spec.dir.filename().string();
    if (root["description"]) spec.description = root["description"].as<std::string>();
    if (root["language"]) spec.language = root["language"].as<std::string>();
    if (spec.language != "c" && spec.language != "c++") {
      return config_error(origin, "language must be c or c++, not '" + spec.language + "'");
    }
    if (root["kind"]) spec.kind = root["kind"].as<std::string>();
    if (root["baas"]) spec.baas = root["baas"].as<bool>();
    if (spec.kind != "sdk" && spec.kind != "command") {
      return config_error(origin, "kind must be sdk or command, not '" + spec.kind + "'");
    }
    if (root["sources"]) {
      for (const auto& s : root["sources"]) {
        fs::path src = spec.dir / s.as<std::string>();
        if (!fs::exists(src)) return config_error(origin, "source " + src.string() + " does not exist");
        spec.sources.push_back(src);
      }
    }
    if (const auto& pre = root["prebuilt"]) {
      for (const auto& kv : pre) {
        auto key = kv.first.as<std::string>();
        fs::path path = spec.dir / kv.second.as<std::string>();
        if (!fs::exists(path)) return config_error(origin, "prebuilt " + key + " " + path.string() + " does not exist");
        if (key == "native")
          spec.prebuilt_native = path;
        else if (key == "wasm")
          spec.prebuilt_wasm = path;
        else if (key == "wasm_aot")
          spec.prebuilt_wasm_aot = path;
        else if (key == "wasm_command_aot")
          spec.prebuilt_wasm_command_aot = path;
        else
          return config_error(origin,
                              "prebuilt key must be native, wasm, wasm_aot or wasm_command_aot, not '" + key + "'");
      }
    }
    bool fully_prebuilt = spec.prebuilt_native && spec.prebuilt_wasm;
    if (spec.sources.empty() && !fully_prebuilt) {
      return config_error(origin, "'sources' must list at least one source file (or give prebuilt native and wasm)");
    }
    if (root["generator"]) {
      spec.generator = spec.dir / root["generator"].as<std::string>();
      if (!fs::exists(*spec.generator)) {
        return config_error(origin, "generator " + spec.generator->string() + " does not exist");
      }
    }
    if (const auto& cmd = root["command"]) {
      if (spec.kind != "command") return config_error(origin, "'command' needs kind: command");
      if (auto ok = check_keys(cmd, {"args", "env", "dirs"}, origin, "'command'"); !ok) {
        return tl::unexpected(ok.error());
      }
      for (const auto& a : cmd["args"]) spec.command.args.push_back(a.as<std::string>());
      for (const auto& kv : cmd["env"]) spec.command.env[kv.first.as<std::string>()] = kv.second.as<std::string>();
      for (const auto& d : cmd["dirs"]) {
        fs::path p = spec.dir / d.as<std::string>();
        if (!fs::is_directory(p)) return config_error(origin, "command dir " + p.string() + " is not a folder");
        spec.command.dirs.push_back(p);
      }
    }
    if (root["inputs"]) {
      if (!root["inputs"].IsSequence()) return config_error(origin, "'inputs' must be a list");
      for (const auto& in : root["inputs"]) {
        auto input = parse_input(in, spec, origin);
        if (!input) return tl::unexpected(input.error());
        spec.inputs.push_back(std::move(*input));
      }
    }
  } catch (const YAML::Exception& e) {
    return config_error(origin, std::string("wrong type: ") + e.what());
  }
  return spec;
}

Result<FunctionSpec> load_function_spec(const fs::path& dir) {
  fs::path file = dir / "function.yaml";
  if (!fs::exists(file)) return config_error(file.string(), "not found (every function folder needs one)");
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::Exception& e) {
    return config_error(file.string(), e.what());
  }
  return parse_function_spec(root, dir, file.string());
}

Result<FunctionSpec> find_function(const std::string& name, const std::vector<fs::path>& search_dirs) {
  std::string looked;
  for (const auto& dir : search_dirs) {
    if (fs::exists(dir / name / "function.yaml")) return load_function_spec(dir / name);
    looked += (looked.empty() ? "" : ", ") + dir.string();
  }
  return fail(ErrorCode::kConfig, "function '" + name + "' not found in " + looked +
                                      " (a function is a folder NAME/ with a function.yaml)");
}

std::vector<std::string> list_functions(const fs::path& search_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(search_dir, ec)) {
    if (fs::exists(entry.path() / "function.yaml")) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace lumos::build
