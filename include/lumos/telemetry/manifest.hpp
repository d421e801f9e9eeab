// The run manifest (manifest.json): environment fingerprint and the experiment of a run.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "lumos/common/result.hpp"

namespace lumos::telemetry {

/// Tools whose versions go into the manifest: name -> command line printing its version.
using ToolVersionCommands = std::map<std::string, std::vector<std::string>>;

/// CPU model, core count, memory, kernel, host name, versions of the given tools (first line
/// of their output, or "not found"), git revision of the source tree.
nlohmann::json environment_fingerprint(const ToolVersionCommands& tools, const std::filesystem::path& source_dir);

/// Writes JSON to path atomically (temporary file + rename).
Result<void> write_json_file(const std::filesystem::path& path, const nlohmann::json& j);

/// Reads a JSON file.
Result<nlohmann::json> read_json_file(const std::filesystem::path& path);

}  // namespace lumos::telemetry
