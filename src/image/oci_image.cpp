// Building a function's OCI images with umoci (incremental), the cached Debian base image,
// and unpacking an image into a runc bundle.
#include "lumos/image/oci_image.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "image_util.hpp"

namespace lumos::image {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace detail;
using Clock = std::chrono::steady_clock;

namespace {

// Bump when the recipe of an image changes: every image is then rebuilt once.
constexpr const char* kRecipe = "lumos-image-recipe 1";
constexpr const char* kBaseTag = "bookworm-minbase";
// Left at the top of a complete debootstrap root file system by scripts/setup.
constexpr const char* kDebootstrapDone = ".lumos-debootstrap-complete";
constexpr const char* kDebianPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fs::path default_prefix() {
  if (const char* v = std::getenv("LUMOS_PREFIX"); v && *v) return v;
  return fs::path(LUMOS_DEFAULT_WASMEDGE_ROOT).parent_path();
}

// The first archive URI of the machine's own apt configuration (never a hard-coded mirror);
// empty: debootstrap's default.
std::string debian_mirror() {
  std::ifstream deb822("/etc/apt/sources.list.d/debian.sources");
  std::string line;
  while (std::getline(deb822, line)) {
    if (line.rfind("URIs:", 0) == 0) {
      std::istringstream f(line.substr(5));
      std::string uri;
      if (f >> uri) return uri;
    }
  }
  std::ifstream classic("/etc/apt/sources.list");
  while (std::getline(classic, line)) {
    std::istringstream f(line);
    std::string word;
    if (!(f >> word) || word != "deb") continue;
    while (f >> word) {
      if (word.find("://") != std::string::npos) return word;
    }
  }
  return "";
}

Result<void> umoci(const ImageTools& tools, std::vector<std::string> args, const std::string& what) {
  args.insert(args.begin(), tools.umoci);
  auto r = run_tool(args, what);
  if (!r) return tl::unexpected(r.error());
  return {};
}

bool has_tag(const fs::path& layout, std::string_view tag) {
  auto index = json::parse(read_file_or_empty(layout / "index.json"), nullptr, false);
  if (index.is_discarded() || !index.is_object()) return false;
  for (const auto& m : index.value("manifests", json::array())) {
    if (m.contains("annotations") && m["annotations"].value(kRefName, "") == tag) return true;
  }
  return false;
}

Result<void> init_layout(const fs::path& layout, const ImageTools& tools, const std::string& what) {
  std::error_code ec;
  if (fs::exists(layout / "index.json", ec) && fs::exists(layout / "oci-layout", ec)) return {};
  fs::remove_all(layout, ec);
  fs::remove_all(cache_dir(layout), ec);
  fs::create_directories(layout.parent_path(), ec);
  return umoci(tools, {"init", "--layout", layout.string()}, what);
}

// Puts image `from_tag` of layout `from` into layout `to` as `to_tag`: its blobs are hard-linked
// (copied across file systems), and so are the cached layer listings.
Result<void> import_image(const fs::path& from, const std::string& from_tag, const fs::path& to,
                          const std::string& to_tag, const std::string& what) {
  auto base = inspect_image(from, from_tag);
  if (!base) return tl::unexpected(base.error());
  auto manifest = json::parse(read_file_or_empty(blob_path(from, base->manifest_digest)), nullptr, false);
  std::vector<std::string> digests = {base->manifest_digest, base->config_digest};
  for (const auto& l : manifest.value("layers", json::array())) digests.push_back(l.value("digest", ""));
  std::error_code ec;
  for (const auto& d : digests) {
    fs::path src = blob_path(from, d), dst = blob_path(to, d);
    if (fs::exists(dst, ec)) continue;
    fs::create_directories(dst.parent_path(), ec);
    fs::create_hard_link(src, dst, ec);
    if (ec) fs::copy_file(src, dst, ec);
    if (ec)
      return fail(ErrorCode::kIo, what + ": cannot copy " + src.string() + " to " + dst.string() + ": " + ec.message());
    std::string hex = d.substr(d.find(':') + 1);
    fs::path list_src = cache_dir(from) / "layers" / (hex + ".list");
    if (fs::exists(list_src, ec)) {
      fs::create_directories(cache_dir(to) / "layers", ec);
      fs::copy_file(list_src, cache_dir(to) / "layers" / (hex + ".list"), fs::copy_options::overwrite_existing, ec);
    }
  }
  auto index = json::parse(read_file_or_empty(to / "index.json"), nullptr, false);
  if (index.is_discarded()) return fail(ErrorCode::kBuild, what + ": " + (to / "index.json").string() + " is not JSON");
  json kept = json::array();
  for (const auto& m : index.value("manifests", json::array())) {
    if (!(m.contains("annotations") && m["annotations"].value(kRefName, "") == to_tag)) kept.push_back(m);
  }
  kept.push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                  {"digest", base->manifest_digest},
                  {"size", base->manifest_bytes},
                  {"annotations", {{kRefName, to_tag}}}});
  index["manifests"] = kept;
  return write_file_atomic(to / "index.json", index.dump());
}

// Unmounts what a failed debootstrap may have left mounted inside its target.
void unmount_leftovers(const fs::path& rootfs) {
  for (const char* sub : {"proc", "sys", "dev/pts"}) umount2((rootfs / sub).c_str(), MNT_DETACH);
}

// Removes apt's package cache and lists (as Debian's official images do) and host identity.
void clean_base_rootfs(const fs::path& rootfs) {
  std::error_code ec;
  for (const auto& dir : {rootfs / "var/cache/apt/archives", rootfs / "var/lib/apt/lists", rootfs / "var/cache/apt"}) {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.is_regular_file(ec) && e.path().filename() != "lock") fs::remove(e.path(), ec);
    }
  }
  fs::remove(rootfs / "etc/resolv.conf", ec);
  fs::remove(rootfs / kDebootstrapDone, ec);
  std::ofstream(rootfs / "etc/hostname", std::ios::trunc) << "localhost\n";
}

// The Debian 12 minbase image, made once with debootstrap into tools.base_dir.
Result<ImageInfo> debian_base(const ImageTools& tools) {
  fs::path layout = tools.base_dir / "oci";
  const std::string what = "Debian base image " + layout.string() + ":" + kBaseTag;
  FileLock lock(tools.base_dir / ".lock");
  std::string stamp_text = std::string(kRecipe) + "\ndebootstrap --variant=minbase bookworm\n";
  fs::path stamp = cache_dir(layout) / (std::string(kBaseTag) + ".stamp");
  if (has_tag(layout, kBaseTag) && read_file_or_empty(stamp) == stamp_text) return inspect_image(layout, kBaseTag);

  std::error_code ec;
  fs::path rootfs = tools.base_dir / "rootfs";
  fs::remove_all(layout, ec);
  fs::remove_all(cache_dir(layout), ec);
  fs::create_directories(tools.base_dir, ec);
  // scripts/setup may have run debootstrap already (it marks a complete root file system).
  if (!fs::exists(rootfs / kDebootstrapDone, ec)) {
    unmount_leftovers(rootfs);
    fs::remove_all(rootfs, ec);
    std::vector<std::string> argv = {tools.debootstrap, "--variant=minbase", "bookworm", rootfs.string()};
    if (auto mirror = debian_mirror(); !mirror.empty()) argv.push_back(mirror);
    auto boot = run_tool(argv, what, std::chrono::minutes(30));
    unmount_leftovers(rootfs);
    if (!boot) {
      std::string log = read_file_or_empty(rootfs / "debootstrap/debootstrap.log");
      if (log.size() > 600) log = "..." + log.substr(log.size() - 600);
      fs::remove_all(rootfs, ec);
      return fail(boot.error().code, boot.error().message + (log.empty() ? "" : "\n" + log));
    }
  }
  clean_base_rootfs(rootfs);
  fs::path layer_tar = tools.base_dir / "layer.tar";
  auto made = [&]() -> Result<void> {
    if (auto r = init_layout(layout, tools, what); !r) return r;
    if (auto r = umoci(tools, {"new", "--image", layout.string() + ":" + kBaseTag}, what); !r) return r;
    auto tar = run_tool({"tar", "--create", "--file", layer_tar.string(), "--directory", rootfs.string(), "--sort=name",
                         "--numeric-owner", "--format=gnu", "."},
                        what + ": packing the root file system");
    if (!tar) return tl::unexpected(tar.error());
    if (auto r = umoci(tools,
                       {"raw", "add-layer", "--image", layout.string() + ":" + kBaseTag, "--history.created_by",
                        "debootstrap --variant=minbase bookworm (apt caches removed)", layer_tar.string()},
                       what);
        !r) {
      return r;
    }
    return umoci(tools,
                 {"config", "--image", layout.string() + ":" + kBaseTag, "--config.env", kDebianPath, "--config.cmd",
                  "/bin/bash", "--author", "lumos", "--no-history"},
                 what);
  }();
  fs::remove(layer_tar, ec);
  fs::remove_all(rootfs, ec);
  if (!made) return tl::unexpected(made.error());
  fs::create_directories(cache_dir(layout), ec);
  if (auto w = write_file_atomic(stamp, stamp_text); !w) return tl::unexpected(w.error());
  return inspect_image(layout, kBaseTag);
}

// The modification time of a file as RFC 3339 UTC: the images' creation time, so that the same
// artifact gives the same image digests.
std::time_t mtime_of(const fs::path& file) {
  struct stat st{};
  return stat(file.c_str(), &st) == 0 ? st.st_mtime : 0;
}

std::string iso_time(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

const std::vector<std::string>& flavours() {
  static const std::vector<std::string> kNames = {std::string(kContainerScratch), std::string(kContainerDebian),
                                                  std::string(kWasm), std::string(kWasmAot)};
  return kNames;
}

ImageTools default_image_tools() {
  ImageTools tools;
  if (const char* v = std::getenv("LUMOS_UMOCI"); v && *v) tools.umoci = v;
  tools.base_dir = default_prefix() / "debian-bookworm-minbase";
  if (const char* v = std::getenv("LUMOS_IMAGE_BASE_DIR"); v && *v) tools.base_dir = v;
  return tools;
}

fs::path layout_dir(const build::Artifacts& artifacts) { return artifacts.work_dir / "oci"; }

bool debian_base_ready(const ImageTools& tools) {
  fs::path layout = tools.base_dir / "oci";
  return has_tag(layout, kBaseTag);
}

Result<ImageInfo> build_image(const build::Artifacts& a, std::string_view flavour_view, const ImageTools& tools) {
  const std::string flavour(flavour_view);
  fs::path layout = layout_dir(a);
  const std::string what = "image " + layout.string() + ":" + flavour;
  // What goes into the image, and under which name.
  fs::path source;
  std::string target, kind;
  if (flavour == kContainerScratch || flavour == kContainerDebian) {
    source = a.native_exe, target = "/function", kind = "native executable";
  } else if (flavour == kWasm) {
    // What a crun node runs: the WASI command (SDK functions), or the program itself.
    source = a.wasm_command.empty() ? a.wasm : a.wasm_command, target = "/" + a.function + ".wasm",
    kind = "wasm module";
  } else if (flavour == kWasmAot) {
    source = a.wasm_command_aot.empty() ? a.wasm_aot : a.wasm_command_aot, target = "/" + a.function + ".aot.wasm",
    kind = "AoT wasm module";
  } else {
    std::string known;
    for (const auto& f : flavours()) known += (known.empty() ? "" : ", ") + f;
    return fail(ErrorCode::kConfig, "unknown image flavour '" + flavour + "' (known: " + known + ")");
  }
  std::error_code ec;
  if (a.work_dir.empty()) return fail(ErrorCode::kInternal, what + ": the function has no artifacts folder");
  if (source.empty() || !fs::is_regular_file(source, ec)) {
    return fail(ErrorCode::kBuild,
                what + ": no " + kind + " for " + a.function + " (run lumos build " + a.function + ")");
  }
  std::optional<ImageInfo> base;
  if (flavour == kContainerDebian) {
    auto b = debian_base(tools);
    if (!b) return tl::unexpected(b.error());
    base = std::move(*b);
  }

  FileLock lock(cache_dir(layout) / ".lock");
  std::string stamp_text = std::string(kRecipe) + "\n" + flavour + "\n" + target + "\n" + file_digest(source) + "\n" +
                           (base ? base->manifest_digest : "") + "\n";
  fs::path stamp = cache_dir(layout) / (flavour + ".stamp");
  // Up to date: reuse it as it is (a damaged image is then reported by the check, not hidden).
  if (has_tag(layout, flavour) && read_file_or_empty(stamp) == stamp_text) return inspect_image(layout, flavour);

  auto t0 = Clock::now();
  fs::remove(stamp, ec);
  if (auto r = init_layout(layout, tools, what); !r) return tl::unexpected(r.error());
  const std::string ref = layout.string() + ":" + flavour;
  if (has_tag(layout, flavour)) {
    if (auto r = umoci(tools, {"remove", "--image", ref}, what); !r) return tl::unexpected(r.error());
  }
  if (base) {
    if (auto r = import_image(base->layout, kBaseTag, layout, flavour, what); !r) return tl::unexpected(r.error());
  } else {
    if (auto r = umoci(tools, {"new", "--image", ref}, what); !r) return tl::unexpected(r.error());
  }
  // The function layer: GNU tar of the one file (owner root, the artifact's mtime), added verbatim.
  // (umoci insert writes tar streams without the final padding and end-of-archive blocks.)
  std::time_t mtime = mtime_of(source);
  std::string created = iso_time(mtime);
  fs::path stage = cache_dir(layout) / "stage" / flavour;
  fs::path staged = stage / fs::path(target).relative_path();
  fs::path layer_tar = cache_dir(layout) / "stage" / (flavour + ".tar");
  fs::remove_all(stage, ec);
  fs::create_directories(staged.parent_path(), ec);
  fs::create_hard_link(source, staged, ec);
  if (ec) fs::copy_file(source, staged, ec);
  if (ec) return fail(ErrorCode::kIo, what + ": cannot stage " + source.string() + ": " + ec.message());
  auto tar = run_tool({"tar", "--create", "--file", layer_tar.string(), "--directory", stage.string(), "--sort=name",
                       "--owner=0", "--group=0", "--numeric-owner", "--format=gnu", "--mtime=@" + std::to_string(mtime),
                       fs::path(target).relative_path().string()},
                      what + ": packing the function layer");
  fs::remove_all(stage, ec);
  if (!tar) return tl::unexpected(tar.error());
  auto added = umoci(tools,
                     {"raw", "add-layer", "--image", ref, "--history.created", created, "--history.created_by",
                      "lumos: COPY " + source.filename().string() + " " + target, layer_tar.string()},
                     what);
  fs::remove(layer_tar, ec);
  if (!added) return tl::unexpected(added.error());
  std::vector<std::string> config = {"config",
                                     "--image",
                                     ref,
                                     "--author",
                                     "lumos",
                                     "--created",
                                     created,
                                     "--config.entrypoint",
                                     target,
                                     "--clear=config.cmd",
                                     "--config.workingdir",
                                     "/",
                                     "--history.created",
                                     created,
                                     "--history.created_by",
                                     "lumos: ENTRYPOINT [\"" + target + "\"]"};
  if (flavour == kWasm || flavour == kWasmAot) {
    config.insert(config.end(),
                  {"--manifest.annotation", std::string(kWasmVariantAnnotation) + "=" + std::string(kWasmVariant)});
  }
  if (auto r = umoci(tools, config, what); !r) return tl::unexpected(r.error());
  if (auto r = umoci(tools, {"gc", "--layout", layout.string()}, what); !r) return tl::unexpected(r.error());
  if (auto w = write_file_atomic(stamp, stamp_text); !w) return tl::unexpected(w.error());
  auto info = inspect_image(layout, flavour);
  if (info) {
    info->rebuilt = true;
    info->took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  }
  return info;
}

std::vector<Result<ImageInfo>> build_images(const build::Artifacts& artifacts, const ImageTools& tools,
                                            const std::vector<std::string>& which) {
  std::vector<Result<ImageInfo>> out;
  out.reserve(which.size());
  for (const auto& f : which) out.push_back(build_image(artifacts, f, tools));
  return out;
}

Result<fs::path> unpack_image(const ImageInfo& image, const fs::path& bundle_dir, const ImageTools& tools) {
  const std::string what = "image " + image.reference();
  fs::path marker = bundle_dir / ".lumos-manifest";
  fs::path rootfs = bundle_dir / "rootfs";
  std::error_code ec;
  fs::path lock_path = bundle_dir;
  lock_path += ".lock";
  FileLock lock(lock_path);
  if (read_file_or_empty(marker) == image.manifest_digest && fs::is_directory(rootfs, ec)) return rootfs;
  fs::path tmp = bundle_dir;
  tmp += ".unpacking";
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp.parent_path(), ec);
  if (auto r = umoci(tools, {"unpack", "--image", image.reference(), tmp.string()}, what + ": unpacking"); !r) {
    fs::remove_all(tmp, ec);
    return tl::unexpected(r.error());
  }
  fs::remove_all(bundle_dir, ec);
  fs::rename(tmp, bundle_dir, ec);
  if (ec)
    return fail(ErrorCode::kIo, what + ": cannot move the bundle to " + bundle_dir.string() + ": " + ec.message());
  if (auto w = write_file_atomic(marker, image.manifest_digest); !w) return tl::unexpected(w.error());
  return rootfs;
}

}  // namespace lumos::image
