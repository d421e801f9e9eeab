// OCI images of a function, built with Debian's OCI tools (umoci; no Docker daemon): one OCI
// image layout per function holding four flavours, their pulled and unpacked sizes, and
// unpacking an image into a runc bundle.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lumos/build/artifacts.hpp"
#include "lumos/common/result.hpp"

namespace lumos::image {

/// Flavour tags, in table order:
/// - container-scratch: the static native executable alone (/function);
/// - container-debian:  a Debian 12 minbase layer plus the function layer;
/// - wasm:              FROM scratch with the .wasm module, annotated for crun/runwasi;
/// - wasm-aot:          the same with the WasmEdge AoT-compiled module.
inline constexpr std::string_view kContainerScratch = "container-scratch";
inline constexpr std::string_view kContainerDebian = "container-debian";
inline constexpr std::string_view kWasm = "wasm";
inline constexpr std::string_view kWasmAot = "wasm-aot";
const std::vector<std::string>& flavours();

/// The annotation crun's wasm handler and runwasi look for on wasm images.
inline constexpr std::string_view kWasmVariantAnnotation = "module.wasm.image/variant";
inline constexpr std::string_view kWasmVariant = "compat-smart";

/// External tools and the cache of the shared Debian base image.
struct ImageTools {
  std::string umoci = "umoci";
  std::string debootstrap = "debootstrap";
  /// Cache of the Debian base (its own OCI layout, built once with debootstrap, ~30 s to
  /// minutes depending on the mirror). Default: LUMOS_IMAGE_BASE_DIR, else
  /// <prefix>/debian-bookworm-minbase where prefix is LUMOS_PREFIX or /opt/lumos.
  std::filesystem::path base_dir;
};

/// Defaults as documented on ImageTools (environment variables applied).
ImageTools default_image_tools();

/// One image of an OCI image layout, as read back from its blobs.
struct ImageInfo {
  std::string function;
  std::string flavour;           ///< the tag in the layout
  std::filesystem::path layout;  ///< the OCI image layout folder
  std::string manifest_digest;   ///< "sha256:<hex>"
  std::string config_digest;     ///< "sha256:<hex>" (podman's image ID)
  std::uint64_t manifest_bytes = 0;
  std::uint64_t config_bytes = 0;
  std::uint64_t layer_bytes = 0;     ///< compressed layers
  std::uint64_t pulled_bytes = 0;    ///< what a node pulls: layers + config + manifest
  std::uint64_t unpacked_bytes = 0;  ///< sum of regular file sizes of the unpacked root file system
  std::size_t layers = 0;
  std::vector<std::string> entrypoint;             ///< Entrypoint followed by Cmd of the image config
  std::vector<std::string> env;                    ///< "K=V" of the image config
  std::string working_dir;                         ///< "/" when unset
  std::map<std::string, std::string> annotations;  ///< manifest annotations
  bool rebuilt = false;                            ///< false: up to date, reused
  std::chrono::milliseconds took{0};               ///< build time when rebuilt

  /// "LAYOUT:TAG", the image reference umoci takes (skopeo: "oci:" + this).
  std::string reference() const { return layout.string() + ":" + flavour; }
  bool is_wasm() const { return annotations.count(std::string(kWasmVariantAnnotation)) > 0; }
};

/// The OCI image layout of a function: <work_dir>/oci.
std::filesystem::path layout_dir(const build::Artifacts& artifacts);

/// Builds (or reuses, when its input and recipe are unchanged) one flavour of the function's
/// image and returns it inspected. Fails with kBuild when the needed artifact is missing or a
/// tool fails (message names the image and the tool output), kNotInstalled when umoci is
/// missing. container-debian builds the cached Debian base first if needed.
Result<ImageInfo> build_image(const build::Artifacts& artifacts, std::string_view flavour, const ImageTools& tools);

/// build_image() for each of `which` (default: all four flavours), in order.
std::vector<Result<ImageInfo>> build_images(const build::Artifacts& artifacts, const ImageTools& tools,
                                            const std::vector<std::string>& which = flavours());

/// Reads image `tag` of an OCI layout and checks it: every blob present with its declared size,
/// a known layer media type, an entrypoint that is a file in the layers (executable, for
/// non-wasm images). Sizes are computed from the blobs (layer listings are cached beside the
/// layout). Fails with kBuild and a message naming the image and what is wrong.
Result<ImageInfo> inspect_image(const std::filesystem::path& layout, std::string_view tag);

/// True when the Debian base image is already cached (build_image of container-debian will
/// not have to run debootstrap).
bool debian_base_ready(const ImageTools& tools);

/// Unpacks an inspected image into bundle_dir/rootfs with `umoci unpack`, unless bundle_dir
/// already holds this manifest. Returns the rootfs path. The bundle's config.json is umoci's;
/// runtimes write their own.
Result<std::filesystem::path> unpack_image(const ImageInfo& image, const std::filesystem::path& bundle_dir,
                                           const ImageTools& tools);

}  // namespace lumos::image
