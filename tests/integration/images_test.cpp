// OCI images of functions: the four flavours with sizes (`lumos images`), incremental rebuilds,
// and broken images (missing layer blob, wrong entrypoint) as clear failed records.
// Needs scripts/setup (umoci, tar, debootstrap, runc, podman): missing pieces make these FAIL.
#include <chrono>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace lumos;
using lumos::testing::lumos_binary;
using lumos::testing::run_experiment;
using lumos::testing::TempDir;
namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, false);
}

// The manifest of tag `tag` in an OCI layout.
nlohmann::json manifest_of(const fs::path& layout, const std::string& tag) {
  auto index = read_json(layout / "index.json");
  for (const auto& m : index["manifests"]) {
    if (m["annotations"]["org.opencontainers.image.ref.name"] == tag) {
      std::string digest = m["digest"];
      return read_json(layout / "blobs" / "sha256" / digest.substr(7));
    }
  }
  return nullptr;
}

// Sum of regular file sizes under a folder (hard links once).
std::uint64_t tree_bytes(const fs::path& root) {
  std::uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && !e.is_symlink()) total += e.file_size();
  }
  return total;
}

// Removes the build artifacts of test-only functions when a test ends.
struct ArtifactsCleanup {
  std::vector<std::string> functions;
  ~ArtifactsCleanup() {
    for (const auto& f : functions) fs::remove_all(fs::path(LUMOS_BINARY_DIR) / "artifacts" / f);
  }
};

}  // namespace

TEST(Images, ListsTheFourImagesOfEachFunctionWithPulledAndUnpackedSizes) {
  TempDir dir;
  auto json_file = dir.path / "images.json";
  auto csv_file = dir.path / "images.csv";
  auto r = run_command({lumos_binary().string(), "images", "hello", "fibonacci", "--json", json_file.string(), "--csv",
                        csv_file.string()});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->exit_code, 0) << r->out;
  auto j = read_json(json_file);
  ASSERT_TRUE(j.is_object()) << r->out;
  std::map<std::string, std::map<std::string, nlohmann::json>> images;
  for (const auto& i : j["images"]) images[i["function"]][i["image"]] = i;
  for (const char* fn : {"hello", "fibonacci"}) {
    SCOPED_TRACE(fn);
    ASSERT_EQ(images[fn].size(), 4u) << r->out;
    for (const char* flavour : {"container-scratch", "container-debian", "wasm", "wasm-aot"}) {
      SCOPED_TRACE(flavour);
      const auto& i = images[fn][flavour];
      ASSERT_TRUE(i.is_object());
      EXPECT_GT(i["unpacked_bytes"].get<std::uint64_t>(), 0u);
      EXPECT_GT(i["layer_bytes"].get<std::uint64_t>(), 0u);
      EXPECT_EQ(i["pulled_bytes"].get<std::uint64_t>(), i["layer_bytes"].get<std::uint64_t>() +
                                                            i["config_bytes"].get<std::uint64_t>() +
                                                            i["manifest_bytes"].get<std::uint64_t>());
      bool wasm = std::string(flavour).rfind("wasm", 0) == 0;
      EXPECT_EQ(i["annotations"].value("module.wasm.image/variant", ""), wasm ? "compat-smart" : "");
      EXPECT_EQ(i["layers"].get<int>(), std::string(flavour) == "container-debian" ? 2 : 1);
    }
    auto aot = images[fn]["wasm-aot"]["pulled_bytes"].get<double>();
    auto debian = images[fn]["container-debian"]["pulled_bytes"].get<double>();
    // The paper's headline: AoT wasm images are far smaller than container images.
    EXPECT_GT(debian / aot, 30.0);
    EXPECT_NEAR(images[fn]["container-debian"]["pulled_vs_wasm_aot"].get<double>(), debian / aot, 0.01);
    EXPECT_EQ(images[fn]["wasm-aot"]["pulled_vs_wasm_aot"].get<double>(), 1.0);
  }
  EXPECT_NE(r->out.find("wasm-aot vs container-debian:"), std::string::npos) << r->out;
  std::ifstream csv(csv_file);
  std::string line;
  int lines = 0;
  while (std::getline(csv, line)) ++lines;
  EXPECT_EQ(lines, 1 + 8);

  // The unpacked size is what umoci unpack really produces.
  auto layout = fs::path(LUMOS_BINARY_DIR) / "artifacts" / "hello" / "oci";
  auto bundle = dir.path / "bundle";
  auto unpacked = run_command({"umoci", "unpack", "--image", layout.string() + ":container-scratch", bundle.string()});
  ASSERT_TRUE(unpacked && unpacked->exit_code == 0) << (unpacked ? unpacked->out : "");
  EXPECT_EQ(tree_bytes(bundle / "rootfs"), images["hello"]["container-scratch"]["unpacked_bytes"].get<std::uint64_t>());
}

TEST(Images, SecondBuildWithNothingChangedTakesSecondsAndKeepsDigests) {
  TempDir dir;
  auto first = run_command({lumos_binary().string(), "images", "hello", "--json", (dir.path / "a.json").string()});
  ASSERT_TRUE(first && first->exit_code == 0) << (first ? first->out : "");
  auto t0 = std::chrono::steady_clock::now();
  auto second = run_command({lumos_binary().string(), "images", "hello", "--json", (dir.path / "b.json").string()});
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(second && second->exit_code == 0) << (second ? second->out : "");
  EXPECT_LT(took, std::chrono::seconds(5));
  auto a = read_json(dir.path / "a.json"), b = read_json(dir.path / "b.json");
  ASSERT_EQ(a["images"].size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(a["images"][i]["manifest_digest"], b["images"][i]["manifest_digest"]);
}

TEST(Images, BrokenImagesGiveClearFailedRecordsOnEveryContainerRuntime) {
  auto built = run_command({lumos_binary().string(), "build", "hello"});
  ASSERT_TRUE(built && built->exit_code == 0) << (built ? built->out : "");
  TempDir dir;
  ArtifactsCleanup cleanup{{"broken-blob", "broken-entry"}};
  fs::path fns = dir.path / "fns";
  fs::path hello = fs::path(LUMOS_BINARY_DIR) / "artifacts" / "hello";
  std::string src = std::string(LUMOS_SOURCE_DIR) + "/functions/hello/";
  // Two copies of hello with fresh images (prebuilt artifacts: no compiling).
  for (const char* name : {"broken-blob", "broken-entry"}) {
    fs::create_directories(fns / name);
    std::ofstream(fns / name / "function.yaml")
        << "language: c++\nbaas: false\nsources: [" << src
        << "hello.cpp]\nprebuilt: {native: " << (hello / "hello").string()
        << ", wasm: " << (hello / "hello.wasm").string() << ", wasm_aot: " << (hello / "hello.aot.wasm").string()
        << "}\ninputs: [{name: small, file: " << src << "inputs/small.json, expected: " << src
        << "expected/small.json}]\n";
    fs::path artifacts = fs::path(LUMOS_BINARY_DIR) / "artifacts" / name;
    fs::remove_all(artifacts / "oci");
    fs::remove_all(artifacts / "oci-cache");
    fs::remove_all(artifacts / "bundles");
  }
  auto images = run_command({lumos_binary().string(), "images", "--functions-dir", fns.string(), "--image",
                             "container-scratch", "--image", "wasm-aot", "broken-blob", "broken-entry"});
  ASSERT_TRUE(images && images->exit_code == 0) << (images ? images->out : "");
  // Break them: a layer blob removed; an entrypoint that is not in the image.
  for (const char* tag : {"container-scratch", "wasm-aot"}) {
    fs::path layout = fs::path(LUMOS_BINARY_DIR) / "artifacts" / "broken-blob" / "oci";
    auto manifest = manifest_of(layout, tag);
    ASSERT_TRUE(manifest.is_object());
    std::string layer = manifest["layers"][0]["digest"];
    ASSERT_TRUE(fs::remove(layout / "blobs" / "sha256" / layer.substr(7)));
    fs::path entry_layout = fs::path(LUMOS_BINARY_DIR) / "artifacts" / "broken-entry" / "oci";
    auto config =
        run_command({"umoci", "config", "--image", entry_layout.string() + ":" + tag, "--config.entrypoint", "/nope"});
    ASSERT_TRUE(config && config->exit_code == 0) << (config ? config->out : "");
  }
  auto run = run_experiment(dir, "function_dirs: [" + fns.string() + "]\n" + R"(
functions: [broken-blob, broken-entry]
runtimes: [runc, podman, runc-wasmedge]
modes: [cold]
repetitions: 1
)");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  ASSERT_EQ(run.records.size(), 2u * 3u) << run.output;
  for (const auto& r : run.records) {
    SCOPED_TRACE(r.function + "/" + r.runtime);
    EXPECT_FALSE(r.ok);
    std::string tag = r.runtime == "runc-wasmedge" ? "wasm-aot" : "container-scratch";
    std::string layout = (fs::path(LUMOS_BINARY_DIR) / "artifacts" / r.function / "oci").string();
    EXPECT_EQ(r.error_text().rfind("build: image " + layout + ":" + tag + ": ", 0), 0u) << r.error_text();
    if (r.function == "broken-blob") {
      EXPECT_NE(r.error_text().find("layer 1/1 blob sha256:"), std::string::npos) << r.error_text();
      EXPECT_NE(r.error_text().find("is missing"), std::string::npos) << r.error_text();
    } else {
      EXPECT_NE(r.error_text().find("entrypoint /nope does not exist in the image's layers"), std::string::npos)
          << r.error_text();
    }
  }
}

TEST(Images, EntrypointIsResolvedThroughPathAndSymlinksAndMustBeAnExecutableFile) {
  auto built = run_command({lumos_binary().string(), "build", "hello"});
  ASSERT_TRUE(built && built->exit_code == 0) << (built ? built->out : "");
  TempDir dir;
  ArtifactsCleanup cleanup{{"entry-check"}};
  fs::path fns = dir.path / "fns";
  fs::path hello = fs::path(LUMOS_BINARY_DIR) / "artifacts" / "hello";
  std::string src = std::string(LUMOS_SOURCE_DIR) + "/functions/hello/";
  fs::create_directories(fns / "entry-check");
  std::ofstream(fns / "entry-check" / "function.yaml")
      << "language: c++\nbaas: false\nsources: [" << src
      << "hello.cpp]\nprebuilt: {native: " << (hello / "hello").string()
      << ", wasm: " << (hello / "hello.wasm").string() << ", wasm_aot: " << (hello / "hello.aot.wasm").string()
      << "}\ninputs: [{name: small, file: " << src << "inputs/small.json}]\n";
  fs::path artifacts = fs::path(LUMOS_BINARY_DIR) / "artifacts" / "entry-check";
  fs::remove_all(artifacts / "oci");
  fs::remove_all(artifacts / "oci-cache");
  auto images = [&] {
    return run_command({lumos_binary().string(), "images", "--functions-dir", fns.string(), "--image",
                        "container-debian", "entry-check"});
  };
  auto first = images();
  ASSERT_TRUE(first && first->exit_code == 0) << (first ? first->out : "");
  std::string ref = (artifacts / "oci").string() + ":container-debian";
  auto set_entrypoint = [&](const std::string& entry) {
    auto r = run_command({"umoci", "config", "--image", ref, "--config.entrypoint", entry});
    ASSERT_TRUE(r && r->exit_code == 0) << (r ? r->out : "");
  };
  // "sh" is found through PATH: /usr/local/bin ... /bin/sh, where /bin -> usr/bin and
  // /usr/bin/sh -> dash are symlinks.
  set_entrypoint("sh");
  auto via_path = images();
  ASSERT_TRUE(via_path);
  EXPECT_EQ(via_path->exit_code, 0) << via_path->out;
  set_entrypoint("/etc/passwd");
  auto not_exec = images();
  ASSERT_TRUE(not_exec);
  EXPECT_EQ(not_exec->exit_code, 1);
  EXPECT_NE(not_exec->out.find("entrypoint /etc/passwd (/etc/passwd) is not executable in the image"),
            std::string::npos)
      << not_exec->out;
  set_entrypoint("/usr/share");
  auto directory = images();
  ASSERT_TRUE(directory);
  EXPECT_EQ(directory->exit_code, 1);
  EXPECT_NE(directory->out.find("entrypoint /usr/share (/usr/share) is a directory, not a program"), std::string::npos)
      << directory->out;
}
