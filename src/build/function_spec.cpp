// Parsing of function.yaml manifests.
#include "lumos/build/function_spec.hpp"

#include <algorithm>
#include <set>

#include <yaml-cpp/yaml.h>

namespace lumos::build {
namespace fs = std::filesystem;

namespace {

tl::unexpected<Error> config_error(const fs::path& file, const std::string& what) {
  return fail(ErrorCode::kConfig, file.string() + ": " + what);
}

}  // namespace

Result<FunctionSpec> load_function_spec(const fs::path& dir) {
  fs::path file = dir / "function.yaml";
  if (!fs::exists(file)) return config_error(file, "not found (every function folder needs one)");
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::Exception& e) {
    return config_error(file, e.what());
  }
  if (!root.IsMap()) return config_error(file, "expected a mapping at the top level");
  static const std::set<std::string> known = {"name", "description", "language", "sources", "inputs", "prebuilt", "generator"};
  FunctionSpec spec;
  spec.dir = fs::absolute(dir).lexically_normal();
  try {
    for (const auto& kv : root) {
      auto key = kv.first.as<std::string>();
      if (!known.count(key)) return config_error(file, "unknown key '" + key + "'");
    }
    spec.name = root["name"] ? root["name"].as<std::string>() : spec.dir.filename().string();
    if (root["description"]) spec.description = root["description"].as<std::string>();
    if (root["language"]) spec.language = root["language"].as<std::string>();
    if (spec.language != "c" && spec.language != "c++") {
      return config_error(file, "language must be c or c++, not '" + spec.language + "'");
    }
    if (!root["sources"] || !root["sources"].IsSequence() || root["sources"].size() == 0) {
      return config_error(file, "'sources' must list at least one source file");
    }
    for (const auto& s : root["sources"]) {
      fs::path src = spec.dir / s.as<std::string>();
      if (!fs::exists(src)) return config_error(file, "source " + src.string() + " does not exist");
      spec.sources.push_back(src);
    }
    if (root["inputs"]) {
      if (!root["inputs"].IsSequence()) return config_error(file, "'inputs' must be a list");
      for (const auto& in : root["inputs"]) {
        FunctionInput input;
        if (!in["name"] || !in["file"]) {
          return config_error(file, "each input needs 'name' and 'file' (and optionally 'expected')");
        }
        input.name = in["name"].as<std::string>();
        fs::path rel = in["file"].as<std::string>();
        input.generated = !rel.empty() && *rel.begin() == kGeneratedDir;
        input.file = input.generated ? rel.lexically_relative(kGeneratedDir) : spec.dir / rel;
        if (!input.generated && !fs::exists(input.file)) {
          return config_error(file, "input file " + input.file.string() + " does not exist");
        }
        if (in["expected_sha256"]) {
          input.expected_sha256 = in["expected_sha256"].as<std::string>();
          if (input.expected_sha256->size() != 64) {
            return config_error(file, "expected_sha256 of input " + input.name + " must be 64 hex digits");
          }
        }
        if (in["expected"]) {
          input.expected = spec.dir / in["expected"].as<std::string>();
          if (!fs::exists(*input.expected)) {
            return config_error(file, "expected-output file " + input.expected->string() +
                                          " does not exist");
          }
        }
        spec.inputs.push_back(std::move(input));
      }
    }
    if (root["generator"]) {
      spec.generator = spec.dir / root["generator"].as<std::string>();
      if (!fs::exists(*spec.generator)) {
        return config_error(file, "generator " + spec.generator->string() + " does not exist");
      }
    }
    if (const auto& pre = root["prebuilt"]) {
      for (const auto& kv : pre) {
        auto key = kv.first.as<std::string>();
        fs::path path = spec.dir / kv.second.as<std::string>();
        if (!fs::exists(path)) return config_error(file, "prebuilt " + key + " " + path.string() + " does not exist");
        if (key == "native") spec.prebuilt_native = path;
        else if (key == "wasm") spec.prebuilt_wasm = path;
        else if (key == "wasm_aot") spec.prebuilt_wasm_aot = path;
        else return config_error(file, "prebuilt key must be native, wasm or wasm_aot, not '" + key + "'");
      }
    }
  } catch (const YAML::Exception& e) {
    return config_error(file, e.what());
  }
  return spec;
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
