// lumos build with the real compilers: one compiler (clang-19) for the native and the wasm
// artifacts, the host compiler for the native-gcc flavour, the compiler and flags recorded,
// incremental rebuilds.
#include "lumos/build/builder.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace lumos;
using lumos::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const build::BuiltArtifact* item_of(const build::BuildResult& r, const std::string& kind) {
  for (const auto& item : r.items) {
    if (item.kind == kind) return &item;
  }
  return nullptr;
}

bool has(const std::vector<std::string>& flags, const std::string& flag) {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

build::BuildResult build_named(const std::string& dir, const fs::path& out) {
  auto spec = build::load_function_spec(dir);
  EXPECT_TRUE(spec) << spec.error().to_string();
  if (!spec) return {};
  return build::build_function(*spec, out, build::default_toolchain());
}

}  // namespace

TEST(Build, NativeUsesTheWasmCompilerWithLibcxxAndGccIsTheFlavour) {
  TempDir dir;
  const auto r = build_named(LUMOS_SOURCE_DIR "/functions/hello", dir.path);  // C++
  ASSERT_TRUE(r.ok()) << (r.items.empty() ? "no items" : r.items.front().error);
  const auto* native = item_of(r, "native");
  const auto* gcc = item_of(r, "native-gcc");
  const auto* wasm = item_of(r, "wasm");
  ASSERT_TRUE(native && gcc && wasm);
  EXPECT_EQ(native->compiler, "clang++-19");
  EXPECT_EQ(wasm->compiler, "clang++-19");
  EXPECT_EQ(gcc->compiler, "c++");
  for (const auto* item : {native, gcc, wasm}) {
    SCOPED_TRACE(item->kind);
    EXPECT_TRUE(has(item->flags, "-O2"));
    EXPECT_TRUE(has(item->flags, "-std=c++20"));
    EXPECT_TRUE(has(item->flags, "-fno-exceptions"));
  }
  EXPECT_TRUE(has(native->flags, "-static"));
  EXPECT_TRUE(has(gcc->flags, "-static"));
  EXPECT_TRUE(has(native->flags, "-stdlib=libc++"));
  EXPECT_FALSE(has(gcc->flags, "-stdlib=libc++"));
  // Sources and the output are not flags.
  for (const auto& f : native->flags) EXPECT_EQ(f.find("hello.cpp"), std::string::npos) << f;
  EXPECT_FALSE(has(native->flags, "-o"));
  // The executables say who built them (.comment survives -s).
  EXPECT_NE(bytes_of(r.artifacts.native_exe).find("clang version 19"), std::string::npos);
  EXPECT_NE(bytes_of(r.artifacts.native_gcc_exe).find("GCC: ("), std::string::npos);
  EXPECT_EQ(r.artifacts.native_gcc_exe, dir.path / "hello" / "hello.gcc");
  // The stamp beside each executable holds the command line, compiler first.
  EXPECT_EQ(bytes_of(dir.path / "hello" / "hello.cmd").rfind("clang++-19\n", 0), 0u);
  EXPECT_EQ(bytes_of(dir.path / "hello" / "hello.gcc.cmd").rfind("c++\n", 0), 0u);
}

TEST(Build, CFunctionsUseClangAndGccAndRebuildOnlyWhatChanged) {
  TempDir dir;
  const auto first = build_named(LUMOS_TEST_DATA_DIR "/functions/faulty", dir.path);  // C
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(item_of(first, "native")->compiler, "clang-19");
  EXPECT_EQ(item_of(first, "native-gcc")->compiler, "cc");
  for (const auto& item : first.items) EXPECT_TRUE(item.rebuilt) << item.kind;
  const auto second = build_named(LUMOS_TEST_DATA_DIR "/functions/faulty", dir.path);
  ASSERT_TRUE(second.ok());
  for (const auto& item : second.items) EXPECT_FALSE(item.rebuilt) << item.kind;
  // A changed compiler is a changed command line: only that artifact is rebuilt.
  auto tc = build::default_toolchain();
  tc.host_cc = "gcc";
  auto spec = build::load_function_spec(LUMOS_TEST_DATA_DIR "/functions/faulty");
  ASSERT_TRUE(spec);
  const auto third = build::build_function(*spec, dir.path, tc);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(item_of(third, "native-gcc")->rebuilt);
  EXPECT_FALSE(item_of(third, "native")->rebuilt);
  EXPECT_FALSE(item_of(third, "wasm")->rebuilt);
}

TEST(Build, CompilerVersionIsTheFirstLineOrSaysWhyNot) {
  EXPECT_EQ(build::compiler_version("clang-19").rfind("Debian clang version 19", 0), 0u);
  EXPECT_EQ(build::compiler_version("/nonexistent/cc").rfind("unknown (", 0), 0u);
}
