// function.yaml manifests: the shipped functions load, and broken manifests explain themselves.
#include <gtest/gtest.h>

#include <fstream>

#include "lumos/build/function_spec.hpp"

using namespace lumos;
namespace fs = std::filesystem;

TEST(FunctionSpec, ShippedFunctionsLoadWithCheckedInputs) {
  fs::path functions = fs::path(LUMOS_TEST_DATA_DIR).parent_path().parent_path() / "functions";
  auto names = build::list_functions(functions);
  EXPECT_NE(std::find(names.begin(), names.end(), "hello"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "fibonacci"), names.end());
  for (const auto& name : names) {
    auto spec = build::find_function(name, {functions});
    ASSERT_TRUE(spec) << spec.error().to_string();
    EXPECT_EQ(spec->name, name);
    EXPECT_FALSE(spec->sources.empty());
    ASSERT_FALSE(spec->inputs.empty()) << name;
    for (const auto& in : spec->inputs) {
      EXPECT_TRUE(in.expected || in.expected_sha256) << name << "/" << in.name << " is unchecked";
    }
  }
}

TEST(FunctionSpec, UnknownFunctionListsWhereItLooked) {
  auto spec = build::find_function("nope", {"/tmp/a", "/tmp/b"});
  ASSERT_FALSE(spec);
  EXPECT_NE(spec.error().message.find("/tmp/a, /tmp/b"), std::string::npos);
}

TEST(FunctionSpec, BrokenManifestsNameTheKey) {
  fs::path dir = fs::temp_directory_path() / "lumos-spec-test";
  fs::create_directories(dir);
  std::ofstream(dir / "f.c") << "int x;";
  auto check = [&](const std::string& yaml, const std::string& mention) {
    std::ofstream(dir / "function.yaml", std::ios::trunc) << yaml;
    auto spec = build::load_function_spec(dir);
    ASSERT_FALSE(spec) << yaml;
    EXPECT_NE(spec.error().message.find(mention), std::string::npos) << spec.error().message;
    EXPECT_NE(spec.error().message.find("function.yaml"), std::string::npos);
  };
  check("sources: [missing.c]\n", "missing.c");
  check("sources: [f.c]\nlanguage: rust\n", "language");
  check("sources: [f.c]\ninputs: [{name: a}]\n", "'file'");
  check("sources: [f.c]\nentry: main\n", "unknown key 'entry'");
  check("name: x\n", "'sources'");
  fs::remove_all(dir);
}
