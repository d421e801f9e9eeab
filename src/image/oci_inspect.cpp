// Reading an image back from its OCI layout: descriptors, blob checks, sizes, entrypoint.
#include <sys/stat.h>

#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "image_util.hpp"
#include "lumos/image/oci_image.hpp"

namespace lumos::image {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace detail;

namespace {

constexpr const char* kListingHeader = "lumos-layer-listing v1";

/// One entry of a layer: tar type ('-' file, 'd' dir, 'l' symlink, 'h' hard link, ...).
struct Entry {
  char type = '-';
  bool executable = false;
  std::uint64_t size = 0;
  std::string link;  ///< symlink target
};

std::string normalize(std::string path) {
  while (path.rfind("./", 0) == 0) path.erase(0, 2);
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

// Parses `tar -tv` lines: "perms owner/group size date time name[ -> target| link to target]".
Result<std::string> listing_from_tar_output(const std::string& out) {
  std::ostringstream listing;
  listing << kListingHeader << '\n';
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string perms, owner, size, date, time;
    if (!(fields >> perms >> owner >> size >> date >> time) || perms.size() != 10) continue;
    std::string name;
    std::getline(fields, name);
    if (!name.empty() && name.front() == ' ') name.erase(0, 1);
    std::string link;
    if (perms[0] == 'l') {
      auto at = name.find(" -> ");
      if (at != std::string::npos) {
        link = name.substr(at + 4);
        name = name.substr(0, at);
      }
    } else if (perms[0] == 'h') {
      auto at = name.find(" link to ");
      if (at != std::string::npos) name = name.substr(0, at);
    }
    std::uint64_t bytes = 0;
    if (perms[0] == '-') bytes = std::strtoull(size.c_str(), nullptr, 10);
    name = normalize(name);
    // One entry per line: type, exec flag, size, name, tab, link target.
    listing << perms[0] << ' ' << (perms.find('x') != std::string::npos ? 'x' : '-') << ' ' << bytes << ' ' << name
            << '\t' << link << '\n';
  }
  return listing.str();
}

// The listing of a layer blob, computed once (the blob's digest is verified then) and cached.
Result<std::string> layer_listing(const fs::path& layout, const std::string& digest, const std::string& what) {
  fs::path cached = cache_dir(layout) / "layers" / (digest.substr(digest.find(':') + 1) + ".list");
  std::string text = read_file_or_empty(cached);
  if (text.rfind(kListingHeader, 0) == 0) return text;
  fs::path blob = blob_path(layout, digest);
  std::string actual = file_digest(blob);
  if (actual != digest) {
    return fail(ErrorCode::kBuild, what + ": layer blob " + digest + " is corrupt (its content hashes to " + actual +
                                       "); remove " + layout.string() + " to rebuild the image");
  }
  auto out = run_tool({"tar", "--numeric-owner", "-tvzf", blob.string()}, what + ": listing layer " + digest);
  if (!out) return tl::unexpected(out.error());
  auto listing = listing_from_tar_output(*out);
  if (!listing) return listing;
  std::error_code ec;
  fs::create_directories(cached.parent_path(), ec);
  (void)write_file_atomic(cached, *listing);
  return listing;
}

// Applies one layer's listing onto the file tree (whiteouts remove lower entries).
void apply_layer(std::map<std::string, Entry>& tree, const std::string& listing) {
  std::istringstream lines(listing);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    if (line.size() < 6) continue;
    Entry e;
    e.type = line[0];
    e.executable = line[2] == 'x';
    std::size_t at = 4;
    std::size_t space = line.find(' ', at);
    if (space == std::string::npos) continue;
    e.size = std::strtoull(line.substr(at, space - at).c_str(), nullptr, 10);
    std::size_t tab = line.find('\t', space + 1);
    std::string name = line.substr(space + 1, tab == std::string::npos ? std::string::npos : tab - space - 1);
    if (tab != std::string::npos) e.link = line.substr(tab + 1);
    auto slash = name.rfind('/');
    std::string dir = slash == std::string::npos ? "" : name.substr(0, slash);
    std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
    auto remove_tree = [&tree](const std::string& path, bool keep_self) {
      if (!keep_self) tree.erase(path);
      std::string prefix = path.empty() ? "" : path + "/";
      for (auto it = tree.lower_bound(prefix); it != tree.end() && it->first.rfind(prefix, 0) == 0;) {
        if (it->first == path) {
          ++it;
          continue;
        }
        it = tree.erase(it);
      }
    };
    if (base == ".wh..wh..opq") {
      remove_tree(dir, true);
    } else if (base.rfind(".wh.", 0) == 0) {
      remove_tree(dir.empty() ? base.substr(4) : dir + "/" + base.substr(4), false);
    } else {
      if (e.type != 'd') remove_tree(name, true);
      tree[name] = e;
    }
  }
}

// Resolves a path inside the image's tree, following symlinks of any component.
const Entry* resolve(const std::map<std::string, Entry>& tree, std::string path, std::string* resolved) {
  for (int hops = 0; hops < 40; ++hops) {
    path = normalize(path);
    std::string done;
    bool restarted = false;
    std::size_t start = 0;
    while (start <= path.size()) {
      std::size_t slash = path.find('/', start);
      std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      std::string rest = slash == std::string::npos ? "" : path.substr(slash + 1);
      std::string here = done.empty() ? part : done + "/" + part;
      if (part == "..") {
        auto s = done.rfind('/');
        here = s == std::string::npos ? "" : done.substr(0, s);
      } else if (part == "." || part.empty()) {
        here = done;
      }
      auto it = tree.find(here);
      if (it != tree.end() && it->second.type == 'l' && !here.empty()) {
        const std::string& target = it->second.link;
        const std::string& parent = done;
        path = (target.rfind('/', 0) == 0 ? target : (parent.empty() ? target : parent + "/" + target)) +
               (rest.empty() ? "" : "/" + rest);
        restarted = true;
        break;
      }
      done = here;
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (!restarted) {
      if (resolved) *resolved = "/" + done;
      auto it = tree.find(done);
      return it == tree.end() ? nullptr : &it->second;
    }
  }
  return nullptr;
}

std::vector<std::string> strings_of(const json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

Result<json> read_blob_json(const fs::path& layout, const json& descriptor, const std::string& what,
                            const std::string& kind) {
  std::string digest = descriptor.value("digest", "");
  auto path = blob_path(layout, digest);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return fail(ErrorCode::kBuild, what + ": " + kind + " blob " + digest + " is missing from " +
                                       (layout / "blobs").string() + "; remove " + layout.string() +
                                       " to rebuild the image");
  }
  if (file_digest(path) != digest) {
    return fail(ErrorCode::kBuild, what + ": " + kind + " blob " + digest + " is corrupt; remove " + layout.string() +
                                       " to rebuild the image");
  }
  auto j = json::parse(read_file_or_empty(path), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(ErrorCode::kBuild, what + ": " + kind + " blob " + digest + " is not JSON");
  }
  return j;
}

}  // namespace

Result<ImageInfo> inspect_image(const fs::path& layout, std::string_view tag) {
  ImageInfo info;
  info.layout = layout;
  info.flavour = std::string(tag);
  info.function = layout.parent_path().filename().string();
  const std::string what = "image " + info.reference();
  auto index = json::parse(read_file_or_empty(layout / "index.json"), nullptr, false);
  if (index.is_discarded() || !index.is_object()) {
    return fail(ErrorCode::kBuild, what + ": " + (layout / "index.json").string() +
                                       " is missing or not JSON (not an OCI image layout); run lumos images");
  }
  std::optional<json> descriptor;
  for (const auto& m : index.value("manifests", json::array())) {
    if (m.contains("annotations") && m["annotations"].value(kRefName, "") == tag) descriptor = m;
  }
  if (!descriptor) {
    return fail(ErrorCode::kBuild, what + ": no image tagged '" + info.flavour + "' in " +
                                       (layout / "index.json").string() + "; run lumos images");
  }
  info.manifest_digest = descriptor->value("digest", "");
  auto manifest = read_blob_json(layout, *descriptor, what, "manifest");
  if (!manifest) return tl::unexpected(manifest.error());
  info.manifest_bytes = fs::file_size(blob_path(layout, info.manifest_digest));
  if (manifest->contains("annotations") && (*manifest)["annotations"].is_object()) {
    for (const auto& [k, v] : (*manifest)["annotations"].items()) {
      if (v.is_string()) info.annotations[k] = v.get<std::string>();
    }
  }
  json config_descriptor = manifest->value("config", json::object());
  info.config_digest = config_descriptor.value("digest", "");
  auto config = read_blob_json(layout, config_descriptor, what, "config");
  if (!config) return tl::unexpected(config.error());
  info.config_bytes = fs::file_size(blob_path(layout, info.config_digest));
  json cfg = config->value("config", json::object());
  if (cfg.is_null()) cfg = json::object();
  info.entrypoint = strings_of(cfg.value("Entrypoint", json::array()));
  for (auto& c : strings_of(cfg.value("Cmd", json::array()))) info.entrypoint.push_back(std::move(c));
  info.env = strings_of(cfg.value("Env", json::array()));
  info.working_dir = cfg.value("WorkingDir", "");
  if (info.working_dir.empty()) info.working_dir = "/";

  std::map<std::string, Entry> tree;
  const auto layers = manifest->value("layers", json::array());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto& layer = layers[i];
    std::string digest = layer.value("digest", "");
    std::string media = layer.value("mediaType", "");
    std::string which = "layer " + std::to_string(i + 1) + "/" + std::to_string(layers.size());
    if (media.find("tar+gzip") == std::string::npos && media.find("tar.gzip") == std::string::npos) {
      return fail(ErrorCode::kBuild, what + ": " + which + " has media type '" + media +
                                         "' (lumos reads gzip-compressed tar layers only)");
    }
    auto path = blob_path(layout, digest);
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (ec) {
      return fail(ErrorCode::kBuild, what + ": " + which + " blob " + digest + " is missing from " +
                                         (layout / "blobs").string() + "; remove " + layout.string() +
                                         " to rebuild the image");
    }
    if (size != layer.value("size", std::uint64_t{0})) {
      return fail(ErrorCode::kBuild, what + ": " + which + " blob " + digest + " has " + std::to_string(size) +
                                         " bytes, the manifest says " +
                                         std::to_string(layer.value("size", std::uint64_t{0})) + "; remove " +
                                         layout.string() + " to rebuild the image");
    }
    info.layer_bytes += size;
    auto listing = layer_listing(layout, digest, what);
    if (!listing) return tl::unexpected(listing.error());
    apply_layer(tree, *listing);
  }
  info.layers = layers.size();
  info.pulled_bytes = info.layer_bytes + info.config_bytes + info.manifest_bytes;
  for (const auto& [_, e] : tree) {
    if (e.type == '-') info.unpacked_bytes += e.size;
  }

  // The entrypoint must be a file of the image (executable unless the image holds wasm).
  if (info.entrypoint.empty()) {
    return fail(ErrorCode::kBuild, what + ": the image config has no Entrypoint or Cmd");
  }
  std::string program = info.entrypoint.front();
  std::vector<std::string> candidates;
  if (program.find('/') != std::string::npos) {
    candidates.push_back(program.front() == '/' ? program : info.working_dir + "/" + program);
  } else {
    std::string path_var = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& e : info.env) {
      if (e.rfind("PATH=", 0) == 0) path_var = e.substr(5);
    }
    std::istringstream dirs(path_var);
    std::string d;
    while (std::getline(dirs, d, ':')) candidates.push_back(d + "/" + program);
  }
  std::string directory;
  for (const auto& c : candidates) {
    std::string resolved;
    const Entry* e = resolve(tree, c, &resolved);
    if (e && e->type == 'd' && directory.empty()) directory = resolved;
    if (!e || e->type == 'd') continue;
    if (e->type == '-' && !e->executable && !info.is_wasm()) {
      return fail(ErrorCode::kBuild,
                  what + ": entrypoint " + program + " (" + resolved + ") is not executable in the image");
    }
    return info;
  }
  if (!directory.empty()) {
    return fail(ErrorCode::kBuild,
                what + ": entrypoint " + program + " (" + directory + ") is a directory, not a program");
  }
  return fail(ErrorCode::kBuild, what + ": entrypoint " + program +
                                     " does not exist in the image's layers (fix the image config's "
                                     "Entrypoint, or remove " +
                                     layout.string() + " to rebuild the image)");
}

}  // namespace lumos::image
