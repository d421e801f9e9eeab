// `lumos images`: builds every function's OCI images (incremental) and prints their pulled and
// unpacked sizes, with each image's size relative to the AoT wasm image (the paper's headline).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include "lumos/common/files.hpp"
#include "lumos/common/format.hpp"

#include "lumos/build/builder.hpp"
#include "lumos/image/oci_image.hpp"
#include "subcommands.hpp"

namespace lumos::cli {
namespace fs = std::filesystem;

namespace {

constexpr const char* kPaperClaim = "AoT-compiled Wasm images are up to 30x smaller than container images";

struct Row {
  image::ImageInfo info;
  std::optional<double> pulled_ratio, unpacked_ratio;  ///< this image / the function's wasm-aot image
};

std::string ratio_text(const std::optional<double>& r) { return r ? fmt::format("{:.1f}x", *r) : "-"; }

std::string format_table(const std::vector<Row>& rows) {
  std::string out = fmt::format("{:<20} {:<18} {:>6} {:>11} {:>11} {:>14} {:>16}\n", "function", "image", "layers",
                                "pulled", "unpacked", "pulled/aot", "unpacked/aot");
  for (const auto& r : rows) {
    out += fmt::format("{:<20} {:<18} {:>6} {:>11} {:>11} {:>14} {:>16}\n", r.info.function, r.info.flavour,
                       r.info.layers, text::bytes(r.info.pulled_bytes), text::bytes(r.info.unpacked_bytes),
                       ratio_text(r.pulled_ratio), ratio_text(r.unpacked_ratio));
  }
  // The headline: how much smaller the AoT wasm image is than each container image.
  for (const char* flavour : {"container-scratch", "container-debian"}) {
    std::optional<double> lo, hi;
    for (const auto& r : rows) {
      if (r.info.flavour != flavour || !r.pulled_ratio) continue;
      lo = lo ? std::min(*lo, *r.pulled_ratio) : *r.pulled_ratio;
      hi = hi ? std::max(*hi, *r.pulled_ratio) : *r.pulled_ratio;
    }
    if (lo) {
      out += fmt::format("wasm-aot vs {}: {:.1f}x to {:.1f}x smaller to pull\n", flavour, *lo, *hi);
    }
  }
  out += fmt::format("(paper: {})\n", kPaperClaim);
  return out;
}

std::string format_csv(const std::vector<Row>& rows) {
  std::string out =
      "function,image,reference,manifest_digest,layers,manifest_bytes,config_bytes,layer_bytes,pulled_bytes,"
      "unpacked_bytes,pulled_vs_wasm_aot,unpacked_vs_wasm_aot\n";
  for (const auto& r : rows) {
    const auto& i = r.info;
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", text::csv_field(i.function), i.flavour,
                       text::csv_field(i.reference()), i.manifest_digest, i.layers, i.manifest_bytes, i.config_bytes,
                       i.layer_bytes, i.pulled_bytes, i.unpacked_bytes,
                       r.pulled_ratio ? fmt::format("{:.3f}", *r.pulled_ratio) : "",
                       r.unpacked_ratio ? fmt::format("{:.3f}", *r.unpacked_ratio) : "");
  }
  return out;
}

nlohmann::json format_json(const std::vector<Row>& rows) {
  nlohmann::json images = nlohmann::json::array();
  for (const auto& r : rows) {
    const auto& i = r.info;
    nlohmann::json j = {
        {"function", i.function},
        {"image", i.flavour},
        {"reference", i.reference()},
        {"manifest_digest", i.manifest_digest},
        {"config_digest", i.config_digest},
        {"layers", i.layers},
        {"manifest_bytes", i.manifest_bytes},
        {"config_bytes", i.config_bytes},
        {"layer_bytes", i.layer_bytes},
        {"pulled_bytes", i.pulled_bytes},
        {"unpacked_bytes", i.unpacked_bytes},
        {"entrypoint", i.entrypoint},
        {"annotations", i.annotations},
        {"pulled_vs_wasm_aot", r.pulled_ratio ? nlohmann::json(*r.pulled_ratio) : nlohmann::json()},
        {"unpacked_vs_wasm_aot", r.unpacked_ratio ? nlohmann::json(*r.unpacked_ratio) : nlohmann::json()}};
    images.push_back(std::move(j));
  }
  return {{"images", images}, {"paper_claim", kPaperClaim}};
}

bool write_table(const fs::path& path, const std::string& text) {
  auto written = write_file(path, text, "images table");
  if (!written) std::fprintf(stderr, "lumos: %s\n", written.error().message.c_str());
  return written.has_value();
}

struct Flags {
  std::vector<std::string> functions;
  std::vector<std::string> dirs;
  std::vector<std::string> flavours;
  fs::path json_file, csv_file;
};

int run_images(const Flags& flags) {
  std::vector<fs::path> dirs(flags.dirs.begin(), flags.dirs.end());
  dirs.push_back(fs::path(LUMOS_SOURCE_DIR) / "functions");
  std::vector<std::string> names = flags.functions;
  if (names.empty()) {
    for (const auto& d : dirs) {
      for (auto& n : build::list_functions(d)) names.push_back(n);
    }
  }
  std::vector<std::string> which = flags.flavours.empty() ? image::flavours() : flags.flavours;
  for (const auto& f : which) {
    const auto& known = image::flavours();
    if (std::find(known.begin(), known.end(), f) == known.end()) {
      std::fprintf(stderr,
                   "lumos: unknown image '%s' for --image (known: container-scratch, container-debian, "
                   "wasm, wasm-aot)\n",
                   f.c_str());
      return 2;
    }
  }
  auto tools = image::default_image_tools();
  bool wants_debian = std::find(which.begin(), which.end(), "container-debian") != which.end();
  if (wants_debian && !image::debian_base_ready(tools)) {
    std::fprintf(stderr,
                 "Building the Debian 12 base image once into %s (debootstrap --variant=minbase bookworm "
                 "unless scripts/setup did it: 30 s to a few minutes)\n",
                 tools.base_dir.c_str());
  }
  auto tc = build::default_toolchain();
  fs::path artifacts_dir = default_artifacts_dir();
  std::vector<Row> rows;
  bool ok = true;
  for (const auto& name : names) {
    auto spec = build::find_function(name, dirs);
    if (!spec) return report_error(spec.error());
    auto built = build::build_function(*spec, artifacts_dir, tc);
    for (const auto& item : built.items) {
      if (!item.error.empty())
        std::fprintf(stderr, "lumos: %s %s: %s\n", name.c_str(), item.kind.c_str(), item.error.c_str());
    }
    std::vector<Row> fn_rows;
    for (auto& made : image::build_images(built.artifacts, tools, which)) {
      if (!made) {
        std::fprintf(stderr, "lumos: %s: %s\n", name.c_str(), made.error().to_string().c_str());
        ok = false;
        continue;
      }
      fn_rows.push_back(Row{std::move(*made), std::nullopt, std::nullopt});
    }
    // Sizes relative to the function's AoT wasm image (built for the ratio even if not listed).
    std::optional<image::ImageInfo> aot;
    for (const auto& r : fn_rows) {
      if (r.info.flavour == image::kWasmAot) aot = r.info;
    }
    if (!aot) {
      if (auto a = image::build_image(built.artifacts, image::kWasmAot, tools)) aot = std::move(*a);
    }
    for (auto& r : fn_rows) {
      if (aot && aot->pulled_bytes > 0)
        r.pulled_ratio = static_cast<double>(r.info.pulled_bytes) / static_cast<double>(aot->pulled_bytes);
      if (aot && aot->unpacked_bytes > 0)
        r.unpacked_ratio = static_cast<double>(r.info.unpacked_bytes) / static_cast<double>(aot->unpacked_bytes);
      rows.push_back(std::move(r));
    }
  }
  std::fputs(format_table(rows).c_str(), stdout);
  if (!flags.json_file.empty() && !write_table(flags.json_file, format_json(rows).dump(2) + "\n")) ok = false;
  if (!flags.csv_file.empty() && !write_table(flags.csv_file, format_csv(rows))) ok = false;
  return ok ? 0 : 1;
}

}  // namespace

Subcommand add_images_command(CLI::App& parent) {
  auto flags = std::make_shared<Flags>();
  Subcommand sub;
  sub.app = parent.add_subcommand("images", "Build OCI images of functions and compare their sizes");
  sub.app->add_option("functions", flags->functions, "Function names (default: all in functions/)");
  sub.app->add_option("--functions-dir", flags->dirs, "Extra folder holding function folders");
  sub.app
      ->add_option("--image", flags->flavours,
                   "Only these images: container-scratch, container-debian, wasm, wasm-aot (repeatable, or "
                   "comma-separated)")
      ->delimiter(',')
      ->allow_extra_args(false);
  sub.app->add_option("--json", flags->json_file, "Also write the table as JSON to FILE");
  sub.app->add_option("--csv", flags->csv_file, "Also write the table as CSV to FILE");
  sub.app->footer(
      "Images live in OCI image layouts build/artifacts/<function>/oci, one tag per image. pulled = compressed "
      "layers + config + manifest (what a node downloads); unpacked = sum of file sizes of the root file "
      "system. The Debian base is built once with debootstrap and cached (LUMOS_IMAGE_BASE_DIR).");
  sub.run = [flags] { return run_images(*flags); };
  return sub;
}

}  // namespace lumos::cli
