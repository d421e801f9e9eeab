// Experiment file parsing: defaults, explicit values, and errors that name the problem.
#include <gtest/gtest.h>

#include "lumos/engine/experiment.hpp"

using namespace lumos;
using lumos::engine::parse_experiment;

TEST(Experiment, DefaultsCoverAllRuntimesBothModesAndThirtyReps) {
  auto ex = parse_experiment("functions: [hello]\n", "/tmp", "t.yaml");
  ASSERT_TRUE(ex) << ex.error().to_string();
  EXPECT_EQ(ex->functions.size(), 1u);
  EXPECT_EQ(ex->functions[0].name, "hello");
  EXPECT_TRUE(ex->functions[0].inputs.empty());
  EXPECT_EQ(ex->runtimes, (std::vector<std::string>{"native", "runc", "wasmedge-interp", "wasmedge-aot"}));
  EXPECT_EQ(ex->modes, (std::vector<std::string>{"cold", "warm"}));
  EXPECT_EQ(ex->repetitions, 30);
  EXPECT_EQ(ex->timeout.count(), 10000);
  ASSERT_FALSE(ex->function_dirs.empty());
  EXPECT_EQ(ex->function_dirs.back().filename(), "functions");
}

TEST(Experiment, ExplicitValuesAreRead) {
  auto ex = parse_experiment(R"(
name: x
functions:
  - {name: fibonacci, inputs: [small, medium]}
  - hello
runtimes: [wasmedge-aot]
modes: [warm, instance]
repetitions: 7
warmup: 2
timeout_ms: 50
function_dirs: [more]
)",
                             "/base", "t.yaml");
  ASSERT_TRUE(ex) << ex.error().to_string();
  EXPECT_EQ(ex->name, "x");
  EXPECT_EQ(ex->functions[0].inputs, (std::vector<std::string>{"small", "medium"}));
  EXPECT_EQ(ex->functions[1].name, "hello");
  EXPECT_EQ(ex->runtimes, std::vector<std::string>{"wasmedge-aot"});
  EXPECT_EQ(ex->modes, (std::vector<std::string>{"warm", "instance"}));
  EXPECT_EQ(ex->placement, telemetry::Placement::kSameCpu);  // the default
  EXPECT_TRUE(ex->interleaved);                              // the default order
  EXPECT_EQ(ex->batch, 5);
  EXPECT_FALSE(ex->seed);  // drawn at the run's start
  EXPECT_EQ(ex->repetitions, 7);
  EXPECT_EQ(ex->warmup, 2);
  EXPECT_EQ(ex->timeout.count(), 50);
  EXPECT_EQ(ex->function_dirs.front(), "/base/more");
  EXPECT_EQ(ex->raw["repetitions"], "7");

  auto ordered = parse_experiment("functions: [hello]\norder: sequential\nbatch: 3\nseed: 12\n", "/base", "t.yaml");
  ASSERT_TRUE(ordered) << ordered.error().to_string();
  EXPECT_FALSE(ordered->interleaved);
  EXPECT_EQ(ordered->batch, 3);
  EXPECT_EQ(ordered->seed, std::optional<std::uint64_t>(12));
}

struct BadCase {
  const char* yaml;
  const char* must_mention;
};

TEST(Experiment, ErrorsNameTheFileAndTheProblem) {
  const BadCase cases[] = {
      {"functions: [hello]\nrepetition: 3\n", "unknown key 'repetition'"},
      {"runtimes: [native]\n", "'functions'"},
      {"functions: [hello]\nruntimes: [docker]\n", "unknown runtime 'docker'"},
      {"functions: [hello]\nmodes: [tepid]\n", "mode 'tepid'"},
      {"functions: [hello]\nplacement: near\n", "placement 'near' must be same-cpu"},
      {"functions: [hello]\nrepetitions: 0\n", "'repetitions'"},
      {"functions: [hello]\norder: random\n", "order 'random' must be interleaved"},
      {"functions: [hello]\nbatch: 0\n", "'batch'"},
      {"functions: [hello]\nrepetitions: lots\n", "wrong type"},
      {"functions: [hello\n", "not valid YAML"},
      {"- just a list\n", "mapping"},
  };
  for (const auto& c : cases) {
    auto ex = parse_experiment(c.yaml, "/tmp", "bad.yaml");
    ASSERT_FALSE(ex) << c.yaml;
    EXPECT_EQ(ex.error().code, ErrorCode::kConfig);
    EXPECT_NE(ex.error().message.find("bad.yaml"), std::string::npos) << ex.error().message;
    EXPECT_NE(ex.error().message.find(c.must_mention), std::string::npos) << ex.error().message;
  }
}

TEST(Experiment, MissingFileSaysSo) {
  auto ex = lumos::engine::load_experiment("/nonexistent/exp.yaml");
  ASSERT_FALSE(ex);
  EXPECT_NE(ex.error().message.find("/nonexistent/exp.yaml"), std::string::npos);
}

TEST(Experiment, PerFunctionOverridesAreReadAndValidated) {
  auto ex = parse_experiment(R"(
functions:
  - {name: nbody, inputs: [large], runtimes: [native, wasmedge-aot], modes: [warm], io: [baas], repetitions: 5}
  - hello
)",
                             "/tmp", "t.yaml");
  ASSERT_TRUE(ex) << ex.error().to_string();
  EXPECT_EQ(ex->functions[0].runtimes, (std::vector<std::string>{"native", "wasmedge-aot"}));
  EXPECT_EQ(ex->functions[0].modes, std::vector<std::string>{"warm"});
  EXPECT_EQ(ex->functions[0].io, std::vector<std::string>{"baas"});
  EXPECT_EQ(ex->functions[0].repetitions, 5);
  EXPECT_TRUE(ex->functions[1].runtimes.empty());
  auto bad = parse_experiment("functions: [{name: x, modes: [hot]}]\n", "/tmp", "t.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("mode 'hot' of function x"), std::string::npos) << bad.error().message;
  auto typo = parse_experiment("functions: [{name: x, input: [a]}]\n", "/tmp", "t.yaml");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("unknown key 'input' in function x"), std::string::npos);
}

TEST(Experiment, AdaptiveRepetitionsAreReadAndChecked) {
  auto off = parse_experiment("functions: [hello]\n", "/tmp", "t.yaml");
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->adaptive);
  auto on = parse_experiment("functions: [hello]\nrepetitions: 100\nadaptive: {target: 0.02, level: 0.99, min: 15}\n",
                             "/tmp", "t.yaml");
  ASSERT_TRUE(on) << on.error().to_string();
  ASSERT_TRUE(on->adaptive);
  EXPECT_DOUBLE_EQ(on->adaptive->target_rel_half_width, 0.02);
  EXPECT_DOUBLE_EQ(on->adaptive->level, 0.99);
  EXPECT_EQ(on->adaptive->min_n, 15u);
  EXPECT_EQ(on->adaptive->max_n, 100u);
  auto defaults = parse_experiment("functions: [hello]\nadaptive: true\n", "/tmp", "t.yaml");
  ASSERT_TRUE(defaults && defaults->adaptive);
  EXPECT_DOUBLE_EQ(defaults->adaptive->target_rel_half_width, 0.05);
  auto disabled = parse_experiment("functions: [hello]\nadaptive: false\n", "/tmp", "t.yaml");
  ASSERT_TRUE(disabled);
  EXPECT_FALSE(disabled->adaptive);
  for (const char* bad : {"adaptive: {target: 2}", "adaptive: {min: 50}", "adaptive: {tagret: 0.1}",
                          "adaptive: {level: 0.2}", "adaptive: [1]"}) {
    auto e = parse_experiment(std::string("functions: [hello]\n") + bad + "\n", "/tmp", "t.yaml");
    ASSERT_FALSE(e) << bad;
    EXPECT_NE(e.error().message.find("adaptive"), std::string::npos) << e.error().message;
    EXPECT_NE(e.error().message.find("t.yaml"), std::string::npos) << e.error().message;
  }
}

TEST(Experiment, LoadAndPoolAreParsedOnceIntoTypedValues) {
  auto ex = parse_experiment(
      "functions: [hello]\nload: {kind: closed, concurrency: [1, 4], requests: 20}\n"
      "pool: {keep_alive_ms: 500, prewarm: 2}\n",
      "/tmp", "t.yaml");
  ASSERT_TRUE(ex) << ex.error().to_string();
  ASSERT_TRUE(ex->load);
  EXPECT_EQ(ex->load->kind, telemetry::LoadKind::kClosed);
  EXPECT_EQ(ex->load->concurrency, (std::vector<int>{1, 4}));
  EXPECT_EQ(ex->load->requests, 20);
  EXPECT_EQ(ex->load->pool.keep_alive.count(), 500);
  EXPECT_EQ(ex->load->pool.prewarm, 2);
  // A number with a unit is not a number (std::stod read "10s" as 10).
  auto unit = parse_experiment("functions: [hello]\nload: {kind: open, rates: [10s]}\n", "/tmp", "t.yaml");
  ASSERT_FALSE(unit);
  EXPECT_NE(unit.error().message.find("t.yaml: load.rates takes positive numbers"), std::string::npos)
      << unit.error().message;
  auto lonely = parse_experiment("functions: [hello]\npool: {prewarm: 1}\n", "/tmp", "t.yaml");
  ASSERT_FALSE(lonely);
  EXPECT_NE(lonely.error().message.find("'pool' configures the instance pool"), std::string::npos);
}
