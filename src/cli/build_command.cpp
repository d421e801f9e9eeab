// `lumos build`: compile functions to native, native-gcc, wasm and AoT artifacts and their OCI images.
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "lumos/build/builder.hpp"
#include "lumos/common/format.hpp"
#include "lumos/image/oci_image.hpp"
#include "subcommands.hpp"

namespace lumos::cli {
namespace fs = std::filesystem;

void print_build(const build::BuildResult& result) {
  for (const auto& item : result.items) {
    std::string status = !item.error.empty() ? "FAILED"
                         : item.prebuilt     ? "prebuilt"
                         : item.rebuilt      ? fmt::format("built in {:.1f} s", item.took.count() / 1000.0)
                                             : "up to date";
    std::printf("  %-18s %-17s %10s  %-16s %s\n", result.artifacts.function.c_str(), item.kind.c_str(),
                item.error.empty() ? text::bytes(item.bytes).c_str() : "-", status.c_str(),
                item.error.empty() ? item.path.c_str() : "");
    if (!item.error.empty()) std::fprintf(stderr, "    %s\n", item.error.c_str());
  }
}

namespace {

Result<std::vector<build::FunctionSpec>> resolve_functions(const std::vector<std::string>& names,
                                                           const std::vector<fs::path>& dirs) {
  std::vector<build::FunctionSpec> specs;
  for (const auto& name : names) {
    auto spec = build::find_function(name, dirs);
    if (!spec) return tl::unexpected(spec.error());
    specs.push_back(std::move(*spec));
  }
  return specs;
}

int cmd_build(const std::vector<std::string>& names_in, const std::vector<std::string>& extra_dirs,
              const fs::path& out) {
  std::vector<fs::path> dirs(extra_dirs.begin(), extra_dirs.end());
  dirs.push_back(fs::path(LUMOS_SOURCE_DIR) / "functions");
  std::vector<std::string> names = names_in;
  if (names.empty()) {
    for (const auto& d : dirs) {
      for (auto& n : build::list_functions(d)) names.push_back(n);
    }
  }
  auto specs = resolve_functions(names, dirs);
  if (!specs) return report_error(specs.error());
  auto tc = build::default_toolchain();
  std::printf("Building %zu function(s) into %s (-O%s, AoT --optimize %s)\n", specs->size(), out.c_str(),
              tc.opt_level.c_str(), tc.opt_level.c_str());
  bool ok = true;
  auto image_tools = image::default_image_tools();
  for (const auto& spec : *specs) {
    auto result = build::build_function(spec, out, tc);
    print_build(result);
    ok = ok && result.ok();
    if (!result.ok() || spec.kind != "sdk") continue;
    // The function's OCI images (incremental; what `lumos images` lists).
    for (const auto& img : image::build_images(result.artifacts, image_tools)) {
      if (!img) {
        std::fprintf(stderr, "    image: %s\n", img.error().to_string().c_str());
        ok = false;
        continue;
      }
      std::printf("  %-18s %-17s %10s  %-16s %s\n", spec.name.c_str(), img->flavour.c_str(),
                  text::bytes(img->pulled_bytes).c_str(),
                  img->rebuilt ? fmt::format("built in {:.1f} s", img->took.count() / 1000.0).c_str() : "up to date",
                  img->reference().c_str());
    }
  }
  return ok ? 0 : kExitFailure;
}

struct BuildFlags {
  std::vector<std::string> names, dirs;
  fs::path out = default_artifacts_dir();
};

}  // namespace

Subcommand add_build_command(CLI::App& parent) {
  auto flags = std::make_shared<BuildFlags>();
  Subcommand sub;
  sub.app = parent.add_subcommand("build", "Compile functions to native, wasm and AoT wasm artifacts");
  sub.app->add_option("functions", flags->names, "Function names (default: all in functions/)");
  sub.app->add_option("--functions-dir", flags->dirs, "Extra folder holding function folders");
  sub.app->add_option("--out", flags->out, "Artifacts folder")->capture_default_str();
  sub.run = [flags] { return cmd_build(flags->names, flags->dirs, flags->out); };
  return sub;
}

}  // namespace lumos::cli
