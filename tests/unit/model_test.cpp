// The performance model on data made from a known formula: loading results, cells, fitting,
// prediction with environment and queueing, held-out validation, USL, cost, JSON round trip.
// Over 400 lines on purpose: one module's tests around one synthetic data set.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lumos/env/profile.hpp"
#include "lumos/model/cost.hpp"
#include "lumos/model/dataset.hpp"
#include "lumos/model/model.hpp"
#include "lumos/model/usl.hpp"

#ifndef LUMOS_TEST_DATA_DIR
#error "LUMOS_TEST_DATA_DIR must be defined as the absolute path of tests/data"
#endif

namespace lumos::model {
namespace {
namespace fs = std::filesystem;

const fs::path kFixture = fs::path(LUMOS_TEST_DATA_DIR) / "report" / "results";

// ---- a data set from a known formula ----------------------------------------------------
//
// compute = work(f, i) x factor(r); serde = 20 ns/B x factor_serde(r); overhead = fixed(r);
// start = start(r) for cold cells. No noise, so the fit must reproduce held-out cells.

struct Truth {
  std::map<std::string, double> factor = {
      {"native", 1.0}, {"runc", 1.1}, {"wasmedge-interp", 120.0}, {"wasmedge-aot", 1.3}};
  std::map<std::string, double> serde = {
      {"native", 1.0}, {"runc", 1.0}, {"wasmedge-interp", 40.0}, {"wasmedge-aot", 1.2}};
  std::map<std::string, double> overhead = {
      {"native", 30e3}, {"runc", 200e3}, {"wasmedge-interp", 300e3}, {"wasmedge-aot", 50e3}};
  std::map<std::string, double> start = {
      {"native", 3e6}, {"runc", 120e6}, {"wasmedge-interp", 140e6}, {"wasmedge-aot", 110e6}};
  // function -> input -> (work ns on native, payload bytes)
  std::map<std::string, std::map<std::string, std::pair<double, double>>> inputs = {
      {"fib", {{"s", {8e3, 30}}, {"m", {330e3, 31}}, {"l", {3.6e6, 32}}}},
      {"img", {{"s", {2e3, 1700}}, {"m", {60e3, 84000}}}},
      {"prime", {{"s", {50e3, 20}}, {"m", {900e3, 22}}}},
  };
  // function -> a cold (first) call's extra compute per ns of work, on every runtime
  std::map<std::string, double> first_call;
  std::set<std::string> warm_only;  // "f/i" measured warm only
  // Mode `instance` on these runtimes: this start (a new instance in a live host) per request.
  std::map<std::string, double> instance_start;
  std::set<std::string> no_instance;  // "f/i" without instance cells

  telemetry::Invocation make(const std::string& f, const std::string& i, const std::string& r, const std::string& mode,
                             int rep) const {
    const auto [work, bytes] = inputs.at(f).at(i);
    telemetry::Invocation inv;
    inv.function = f;
    inv.input = i;
    inv.runtime = r;
    inv.mode = telemetry::parse_mode(mode).value();
    inv.fresh_instance = mode != "warm";
    inv.rep = rep;
    inv.ok = true;
    double compute = work * factor.at(r);
    if (mode == "cold" && first_call.count(f)) compute += first_call.at(f) * work;
    const double sd = 20.0 * bytes * serde.at(r);
    const double ov = overhead.at(r);
    inv.phases["compute"] = std::chrono::nanoseconds(static_cast<std::int64_t>(compute));
    inv.phases["deserialize"] = std::chrono::nanoseconds(static_cast<std::int64_t>(sd * 0.7));
    inv.phases["serialize"] = std::chrono::nanoseconds(static_cast<std::int64_t>(sd * 0.3));
    double e2e = compute + sd + ov;
    if (mode == "cold") {
      inv.phases["sandbox_start"] = std::chrono::nanoseconds(static_cast<std::int64_t>(start.at(r)));
      e2e += start.at(r);
    }
    if (mode == "instance") {
      inv.phases["instantiate"] = std::chrono::nanoseconds(static_cast<std::int64_t>(instance_start.at(r)));
      e2e += instance_start.at(r);
    }
    inv.phases["invoke"] = std::chrono::nanoseconds(static_cast<std::int64_t>(compute + sd + ov));
    inv.e2e = std::chrono::nanoseconds(static_cast<std::int64_t>(e2e));
    inv.bytes_in = static_cast<std::uint64_t>(bytes / 2);
    inv.bytes_out = static_cast<std::uint64_t>(bytes - bytes / 2);
    inv.cpu = std::chrono::nanoseconds(static_cast<std::int64_t>(e2e * 0.9));
    inv.peak_rss_bytes = r.rfind("wasmedge", 0) == 0 ? 58u << 20 : 2u << 20;
    inv.started_at = "2026-11-27T10:00:00.000Z";
    return inv;
  }

  Dataset dataset(bool skip_fib_l_interp = false) const {
    Dataset d;
    d.profiles = default_profiles();
    d.host_cpus = 2;
    for (const auto& [f, ins] : inputs) {
      for (const auto& [i, v] : ins) {
        for (const auto& [r, x] : factor) {
          if (skip_fib_l_interp && f == "fib" && i == "l" && r == "wasmedge-interp") continue;
          for (const char* mode : {"cold", "warm", "instance"}) {
            if (mode == std::string("cold") && warm_only.count(f + "/" + i)) continue;
            if (mode == std::string("instance") && (!instance_start.count(r) || no_instance.count(f + "/" + i))) {
              continue;
            }
            for (int rep = 0; rep < 5; ++rep) {
              d.records.push_back(make(f, i, r, mode, rep));
            }
          }
        }
      }
    }
    return d;
  }
};

double rel(double a, double b) { return std::abs(a - b) / std::abs(b); }

// The model fitted on the known-formula data set (optionally without fib/l on the interpreter).
Result<Model> fitted(bool skip_fib_l_interp = false) {
  const Dataset d = Truth{}.dataset(skip_fib_l_interp);
  return fit(cells::group(d.records), d);
}

Query query(std::string function, std::string input, std::string runtime) {
  Query q;
  q.function = std::move(function);
  q.input = std::move(input);
  q.runtime = std::move(runtime);
  return q;
}

TEST(ModelFit, RecoversRuntimeFactorsFromAKnownFormula) {
  const Truth t;
  const Dataset d = t.dataset();
  auto m = fit(cells::group(d.records), d);
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->reference_runtime, "native");
  EXPECT_LT(rel(std::exp(m->compute.coef.at("rt:wasmedge-interp")), 120.0), 0.1);
  EXPECT_LT(rel(std::exp(m->compute.coef.at("rt:runc")), 1.1), 0.1);
  EXPECT_LT(m->compute.rms_log_residual, 0.01);
  EXPECT_LT(rel(m->overhead.coef.at("a:runc/warm"), 200e3), 0.01);
}

TEST(ModelPredict, AnUnmeasuredConfigurationComesFromTheRestOfTheData) {
  const Truth t;
  auto m = fitted(/*skip_fib_l_interp=*/true);
  ASSERT_TRUE(m) << m.error().to_string();
  for (const char* mode : {"warm", "cold"}) {
    Query q;
    q.function = "fib";
    q.input = "l";
    q.runtime = "wasmedge-interp";
    q.mode = mode;
    auto p = predict(*m, q);
    ASSERT_TRUE(p) << p.error().to_string();
    const double truth = static_cast<double>(t.make("fib", "l", "wasmedge-interp", mode, 0).e2e.count());
    EXPECT_LT(rel(p->p50_ns, truth), 0.05) << mode << ": predicted " << p->p50_ns << " vs " << truth;
  }
}

// Mode `instance` is its own level of start per runtime: learned from the inputs measured at
// that level, it predicts an input measured only cold and warm.
TEST(ModelPredict, TheInstanceLevelIsLearnedPerRuntime) {
  Truth t;
  t.instance_start = {{"native", 110e3}, {"wasmedge-aot", 80e3}};
  t.no_instance = {"fib/l"};
  const Dataset d = t.dataset();
  auto m = fit(cells::group(d.records), d);
  ASSERT_TRUE(m) << m.error().to_string();
  for (const char* runtime : {"native", "wasmedge-aot"}) {
    Query q = query("fib", "l", runtime);
    q.mode = "instance";
    auto p = predict(*m, q);
    ASSERT_TRUE(p) << p.error().to_string();
    const double truth = static_cast<double>(t.make("fib", "l", runtime, "instance", 0).e2e.count());
    EXPECT_LT(rel(p->p50_ns, truth), 0.05) << runtime << ": predicted " << p->p50_ns << " vs " << truth;
  }
  Query runc = query("fib", "s", "runc");
  runc.mode = "instance";
  auto none = predict(*m, runc);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no instance start of runc"), std::string::npos) << none.error().message;
  const auto drivers = runtime_drivers(*m);
  for (const auto& dr : drivers) {
    if (dr.runtime == "wasmedge-aot") {
      EXPECT_LT(rel(dr.instance_start_ns, 80e3), 0.05) << dr.instance_start_ns;
    }
    if (dr.runtime == "runc") {
      EXPECT_TRUE(std::isnan(dr.instance_start_ns));
    }
  }
}

// A function whose first call computes 2x its work extra (lazy tables, a fresh heap): learned
// from its small input's cold cells, it carries to the big input measured warm only.
TEST(ModelPredict, AFunctionsFirstCallCostGrowsWithTheInputsWork) {
  Truth t;
  t.first_call = {{"prime", 2.0}};
  t.warm_only = {"prime/m"};
  const Dataset d = t.dataset();
  auto m = fit(cells::group(d.records), d);
  ASSERT_TRUE(m) << m.error().to_string();
  for (const char* runtime : {"native", "wasmedge-aot"}) {
    auto q = query("prime", "m", runtime);
    q.mode = "cold";
    auto p = predict(*m, q);
    ASSERT_TRUE(p) << p.error().to_string();
    const double truth = static_cast<double>(t.make("prime", "m", runtime, "cold", 0).e2e.count());
    EXPECT_LT(rel(p->p50_ns, truth), 0.1)
        << runtime << ": predicted " << p->p50_ns << " vs " << truth;  // ridge shrinks it a little
  }
}

TEST(ModelPredict, UnknownWorkIsAnErrorThatNamesWhatIsKnown) {
  auto m = fitted();
  ASSERT_TRUE(m) << m.error().to_string();
  Query q = query("fib", "huge", "native");
  auto p = predict(*m, q);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kConfig);
  EXPECT_NE(p.error().message.find("fib/huge"), std::string::npos);
  EXPECT_NE(p.error().message.find("fib/m"), std::string::npos);
  q.input = "m";
  q.runtime = "podman";
  EXPECT_FALSE(predict(*m, q));
  q.runtime = "native";
  q.profile = "mars";
  auto bad = predict(*m, q);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kUsage);
}

TEST(ModelPredict, HalfTheCpuShareDoublesCpuBoundTermsAndRttAddsRoundTrips) {
  auto m = fitted();
  ASSERT_TRUE(m) << m.error().to_string();
  Query q = query("prime", "m", "wasmedge-aot");
  auto cloud = predict(*m, q);
  q.cpu_share = 0.5;
  auto half = predict(*m, q);
  ASSERT_TRUE(cloud && half);
  EXPECT_NEAR(half->service_ns / cloud->service_ns, 2.0, 1e-6);
  // BaaS under the edge profile: 2 round trips x 20 ms and 50 Mbit/s are added as network.
  q.cpu_share.reset();
  q.io = "baas";
  q.profile = "edge";
  auto edge = predict(*m, q);
  ASSERT_TRUE(edge);
  double network = 0;
  for (const auto& term : edge->terms) {
    if (term.component == "network") network = term.ns;
  }
  EXPECT_NEAR(network, 2 * 20e6 + 22 * 8.0 / 50e6 * 1e9, 1.0);
  EXPECT_FALSE(edge->notes.empty());  // no BaaS measurements in this data set
}

TEST(ModelPredict, QueueingWithoutConcurrencyDataFollowsTheCpuBound) {
  auto m = fitted();
  ASSERT_TRUE(m) << m.error().to_string();
  Query q = query("prime", "m", "native");
  q.concurrency = 8;
  auto p = predict(*m, q);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->usl_fitted);
  // 2 CPUs: at most 2 requests' CPU demand per request time; p50 = N / X.
  EXPECT_LE(p->throughput_rps, 2e9 / p->cpu_demand_ns * (1 + 1e-9));
  EXPECT_NEAR(p->p50_ns, 8 / p->throughput_rps * 1e9, 1.0);
  EXPECT_GT(p->queueing_ns, 0);
  EXPECT_GT(p->p95_ns, p->p50_ns * 0.99);
}

TEST(ModelPredict, ColdStartsUnderLoadLowerThroughputAndFillTheTail) {
  auto m = fitted();
  ASSERT_TRUE(m) << m.error().to_string();
  Query q = query("fib", "m", "runc");
  q.concurrency = 4;
  auto warm = predict(*m, q);
  q.cold_fraction = 0.25;
  auto mixed = predict(*m, q);
  ASSERT_TRUE(warm && mixed);
  EXPECT_LT(mixed->throughput_rps, warm->throughput_rps / 10);  // a 120 ms start in every 4th request
  EXPECT_GT(mixed->p95_ns, 120e6);                              // the tail is the cold starts
  EXPECT_LT(mixed->p50_ns, 10e6);                               // the median request is warm
}

// A closed level through a fresh pool on a half-CPU device: the N first requests start
// instances together, sharing the device's CPU; later requests are warm.
TEST(ModelPredict, AFreshPoolsColdStartsComeAsOneBurstOnTheDevice) {
  auto m = fitted();
  ASSERT_TRUE(m) << m.error().to_string();
  Query q = query("fib", "m", "wasmedge-aot");
  q.cpu_share = 0.5;
  q.concurrency = 8;
  auto steady = predict(*m, q);
  q.cold_fraction = 0.08;
  q.requests = 100;
  auto level = predict(*m, q);
  q.mode = "cold";
  q.concurrency = 1;
  q.cold_fraction = 0;
  auto one_cold = predict(*m, q);
  ASSERT_TRUE(steady && level && one_cold);
  EXPECT_DOUBLE_EQ(level->p50_ns, steady->p50_ns) << "the median request is a warm one of the steady state";
  // 8 cold starts share half a CPU: the burst takes 8 cold CPU demands / 0.5, far over one.
  EXPECT_NEAR(level->p95_ns, 8 * one_cold->cpu_demand_ns / 0.5, 1e-6 * level->p95_ns);
  EXPECT_GT(level->p95_ns, 4 * one_cold->service_ns);
  // 100 requests take the burst plus 92 at the steady rate.
  const double seconds = level->p95_ns / 1e9 + 92 / steady->throughput_rps;
  EXPECT_NEAR(level->throughput_rps, 100 / seconds, 1e-6 * level->throughput_rps);
}

TEST(ModelPredict, CostUsesMeasuredMemoryAndThePriceTable) {
  auto m = fitted();
  ASSERT_TRUE(m) << m.error().to_string();
  Query q = query("fib", "m", "wasmedge-aot");
  auto p = predict(*m, q);
  ASSERT_TRUE(p);
  EXPECT_NEAR(p->memory_mb, 58.0, 1e-9);  // measured peak RSS; billed at the 128 MB minimum
  EXPECT_EQ(p->cost.billed_mb, 128);
  const auto expected = invocation_cost(default_price_tables().at("cloud"), p->p50_ns / 1e6, 58.0);
  EXPECT_DOUBLE_EQ(p->cost.total_usd, expected.total_usd);
  EXPECT_DOUBLE_EQ(p->cost_per_million_usd, expected.total_usd * 1e6);
}

TEST(ModelValidate, HeldOutConfigurationsOfExactDataHaveTinyMape) {
  const Truth t;
  const Dataset d = t.dataset();
  const auto cells = cells::group(d.records);
  const Validation v = validate(cells, d, Holdout::kConfiguration);
  EXPECT_EQ(v.scheme, "configuration");
  ASSERT_EQ(v.mape_by_runtime.size(), 4u);
  for (const auto& [rt, mape] : v.mape_by_runtime) EXPECT_LT(mape, 0.05) << rt;
  EXPECT_EQ(v.points.size(), cells.size());
}

TEST(ModelJson, RoundTripPredictsTheSame) {
  auto m = fitted();
  ASSERT_TRUE(m) << m.error().to_string();
  const Dataset d = Truth{}.dataset();
  m->validations.push_back(validate(cells::group(d.records), d, Holdout::kConfiguration));
  auto back = model_from_json(nlohmann::json::parse(to_json(*m).dump()));
  ASSERT_TRUE(back) << back.error().to_string();
  // The held-out validation travels with the model (a report from model.json shows it).
  ASSERT_EQ(back->validations.size(), 1u);
  EXPECT_EQ(back->validations[0].points.size(), m->validations[0].points.size());
  EXPECT_EQ(back->validations[0].mape_by_runtime, m->validations[0].mape_by_runtime);
  EXPECT_EQ(back->validations[0].points.back().key.function, m->validations[0].points.back().key.function);
  Query q = query("img", "m", "runc");
  q.mode = "cold";
  q.concurrency = 4;
  auto a = predict(*m, q), b = predict(*back, q);
  ASSERT_TRUE(a && b);
  EXPECT_NEAR(a->p50_ns, b->p50_ns, 1e-6 * a->p50_ns);
  EXPECT_FALSE(model_from_json(nlohmann::json{{"lumos_model_version", 99}}));
}

// ---- loading a results folder -----------------------------------------------------------

TEST(Dataset, LoadsOptionalDriversProfilesImagesAndFlagsContamination) {
  auto d = load_dataset(kFixture);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->failed, 1u);
  EXPECT_EQ(d->contaminated, 1u);
  EXPECT_EQ(d->host_cpus, 2);
  ASSERT_TRUE(d->profiles.count("edge"));
  EXPECT_DOUBLE_EQ(d->profiles.at("edge").cpu_share, 0.5);
  EXPECT_DOUBLE_EQ(d->profiles.at("edge").rtt_ms, 20.0);
  EXPECT_EQ(d->module_sizes.source.rfind("images: ", 0), 0u);
  EXPECT_EQ(d->module_sizes.bytes.at("fibonacci/wasmedge-aot"), 420000u);
  EXPECT_EQ(d->module_sizes.bytes.at("fibonacci/runc"), 31000000u);  // the debian-based image
  const auto all = cells::group(d->records);
  int closed = 0;
  for (const auto& c : all) {
    if (c.key.load != cells::LoadKind::kClosed) continue;
    ++closed;
    EXPECT_EQ(c.n_ok, 24u);
    EXPECT_TRUE(std::isfinite(c.throughput_rps)) << c.key.label();
  }
  EXPECT_EQ(closed, 16);  // 4 runtimes x 4 levels
}

TEST(Dataset, ClosedLoopLevelsGiveAFittedUsl) {
  auto d = load_dataset(kFixture);
  ASSERT_TRUE(d);
  auto m = fit(cells::group(d->records), *d);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->usl.count("runc"));
  // The fixture's law for runc: sigma 0.35, kappa 0.025 (with 3% noise in latency).
  EXPECT_NEAR(m->usl.at("runc").sigma, 0.35, 0.12);
  EXPECT_NEAR(m->usl.at("runc").kappa, 0.025, 0.012);
  Query q = query("fibonacci", "medium", "runc");
  q.concurrency = 8;
  auto p = predict(*m, q);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->usl_fitted);
}

TEST(Dataset, MissingFolderSaysWhatToDo) {
  auto d = load_dataset("/nonexistent/results");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kIo);
  EXPECT_NE(d.error().message.find("lumos run --out"), std::string::npos);
}

TEST(Dataset, MalformedLineNamesItsNumberButATruncatedLastLineIsSkipped) {
  const fs::path dir = fs::temp_directory_path() / ("lumos-model-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream o(dir / "invocations.jsonl");
    o << R"({"function":"f","runtime":"native","mode":"warm","input":"i","ok":true,"e2e_ns":1000,"phases_ns":{"compute":500}})"
      << "\n{\"function\": \"trunc";
  }
  auto ok = load_dataset(dir);
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->records.size(), 1u);
  {
    std::ofstream o(dir / "invocations.jsonl");
    o << "not json\n" << R"({"function":"f"})" << "\n";
  }
  auto bad = load_dataset(dir);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(":1:"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Dataset, TheRunsProfileComesFromTheManifestInEitherForm) {
  const fs::path dir = fs::temp_directory_path() / ("lumos-model-profile-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "invocations.jsonl")
      << R"({"function":"f","runtime":"native","mode":"warm","input":"i","ok":true,"e2e_ns":1000,"phases_ns":{"compute":500}})"
      << "\n";
  auto tiny = env::builtin_profile("edge-tiny");
  ASSERT_TRUE(tiny);
  std::ofstream(dir / "manifest.json") << nlohmann::json{{"profile", env::to_json(*tiny)}}.dump();
  auto d = load_dataset(dir);
  ASSERT_TRUE(d) << d.error().to_string();
  ASSERT_EQ(d->records.size(), 1u);
  EXPECT_EQ(d->records[0].profile, "edge-tiny");
  const Environment& e = d->profiles.at("edge-tiny");
  EXPECT_DOUBLE_EQ(e.cpu_share, 0.25);
  EXPECT_DOUBLE_EQ(*e.device_cpus, 0.25);
  EXPECT_DOUBLE_EQ(*e.memory_mb, 256.0);
  EXPECT_DOUBLE_EQ(e.rtt_ms, 50.0);
  EXPECT_DOUBLE_EQ(*e.bandwidth_mbps, 10.0);
  // The experiment's inline YAML form, with units.
  const nlohmann::json inline_profile = {{"name", "lab"},
                                         {"cpu", {{"quota", 2.0}, {"cpuset", "0-1"}}},
                                         {"memory", {{"limit", "1GiB"}}},
                                         {"link", {{"rtt", "5ms"}, {"bandwidth", "100Mbit"}}}};
  std::ofstream(dir / "manifest.json") << nlohmann::json{{"experiment", {{"profile", inline_profile}}}}.dump();
  auto lab = load_dataset(dir);
  ASSERT_TRUE(lab);
  EXPECT_EQ(lab->records[0].profile, "lab");
  const Environment& l = lab->profiles.at("lab");
  EXPECT_DOUBLE_EQ(l.cpu_share, 1.0);  // one request uses at most one CPU
  EXPECT_DOUBLE_EQ(*l.device_cpus, 2.0);
  EXPECT_DOUBLE_EQ(*l.memory_mb, 1024.0);
  EXPECT_DOUBLE_EQ(l.rtt_ms, 5.0);
  EXPECT_DOUBLE_EQ(*l.bandwidth_mbps, 100.0);
  fs::remove_all(dir);
}

// ---- USL and cost -----------------------------------------------------------------------

TEST(Usl, FitRecoversSigmaAndKappaAndStaysNonNegative) {
  const Usl truth{0.08, 0.002, true, 0};
  std::vector<UslPoint> pts;
  for (double n : {1.0, 2.0, 4.0, 8.0, 16.0, 32.0}) pts.push_back({n, usl_capacity(truth, n)});
  const Usl u = fit_usl(pts);
  EXPECT_TRUE(u.fitted);
  EXPECT_NEAR(u.sigma, 0.08, 1e-9);
  EXPECT_NEAR(u.kappa, 0.002, 1e-9);
  // Superlinear points would need negative coefficients: clamp to 0.
  const Usl s = fit_usl({{2, 2.2}, {4, 4.6}, {8, 9.5}});
  EXPECT_GE(s.sigma, 0.0);
  EXPECT_GE(s.kappa, 0.0);
  EXPECT_FALSE(fit_usl({{2, 1.9}}).fitted);  // one point is not enough
}

TEST(Cost, GbSecondsAndRequestsWithRoundingUp) {
  const PriceTable cloud = default_price_tables().at("cloud");
  const InvocationCost c = invocation_cost(cloud, 100.0, 256.0);
  EXPECT_DOUBLE_EQ(c.billed_ms, 100.0);
  EXPECT_DOUBLE_EQ(c.billed_mb, 256.0);
  EXPECT_NEAR(c.compute_usd, 0.0000166667 * 0.1 * 0.25, 1e-15);
  EXPECT_NEAR(c.request_usd, 0.2e-6, 1e-18);
  const InvocationCost small = invocation_cost(cloud, 1.2, 10.0);
  EXPECT_DOUBLE_EQ(small.billed_ms, 2.0);    // rounded up to 1 ms steps
  EXPECT_DOUBLE_EQ(small.billed_mb, 128.0);  // the minimum
  EXPECT_EQ(price_table_for(default_price_tables(), "edge-tiny").name, "edge");
  EXPECT_EQ(price_table_for(default_price_tables(), "lab").name, "cloud");
}

TEST(Cost, PriceTableFileOverridesAndRejectsUnknownKeys) {
  const fs::path f = fs::temp_directory_path() / ("lumos-prices-" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream o(f);
    o << R"({"cloud": {"gb_second_usd": 0.00001}, "onprem": {"per_million_requests_usd": 0}})";
  }
  auto t = load_price_tables(f);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_DOUBLE_EQ(t->at("cloud").gb_second_usd, 0.00001);
  EXPECT_DOUBLE_EQ(t->at("cloud").per_request_usd, 0.2e-6);  // default kept
  EXPECT_DOUBLE_EQ(t->at("onprem").per_request_usd, 0.0);
  {
    std::ofstream o(f);
    o << R"({"cloud": {"gb_secnd_usd": 1}})";
  }
  auto bad = load_price_tables(f);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("cloud.gb_secnd_usd"), std::string::npos);
  fs::remove(f);
}

}  // namespace
}  // namespace lumos::model
