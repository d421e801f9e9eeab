// `lumos model fit DIR...` and `lumos model predict ...`: the performance model on the command line.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "lumos/engine/runner.hpp"
#include "lumos/model/cost.hpp"
#include "lumos/model/model.hpp"
#include "subcommands.hpp"

namespace lumos::cli {
namespace fs = std::filesystem;
namespace {

struct ModelFlags {
  // fit
  std::vector<fs::path> dirs;
  fs::path out;
  fs::path images;
  fs::path artifacts = default_artifacts_dir();
  bool no_validate = false;
  double ridge = 1.0;
  // predict
  fs::path model_file;
  model::Query query;
  double cpu_share = 0, rtt_ms = -1, bandwidth_mbps = 0, memory_mb = 0;
  double cold_fraction = -1;                   ///< -1: from the pool below
  int requests = engine::LoadSpec{}.requests;  ///< a closed level as `lumos run` measures it
  int prewarm = engine::PoolConfig{}.prewarm;
  fs::path prices;
  bool json = false;
};

int run_fit(const ModelFlags& f) {
  model::LoadOptions opts;
  if (!f.images.empty()) opts.images_json = f.images;
  if (!f.artifacts.empty()) opts.artifacts_dir = f.artifacts;
  auto data = model::load_datasets(f.dirs, opts);
  if (!data) return report_error(data.error());
  if (data->torn_lines > 0) {
    std::fprintf(stderr,
                 "lumos: %zu results file(s) end in a torn line (a run killed mid-write), skipped; "
                 "`lumos run --resume DIR` completes such a run\n",
                 data->torn_lines);
  }
  const auto cells = cells::group(data->records);
  model::FitOptions fo;
  fo.ridge = f.ridge;
  auto m = model::fit(cells, *data, fo);
  if (!m) return report_error(m.error());
  for (const auto& d : f.dirs) m->results.push_back(d.string());
  std::printf("%zu invocations (%zu failed, %zu contaminated and excluded) in %zu cells\n", data->records.size(),
              data->failed, data->contaminated, cells.size());
  std::fputs(model::format_model(*m).c_str(), stdout);
  if (!f.no_validate) {
    m->validations.push_back(model::validate(cells, *data, model::Holdout::kConfiguration, fo));
    m->validations.push_back(model::validate(cells, *data, model::Holdout::kFunctionRuntime, fo));
    std::printf("\nHeld-out validation (median e2e of each held-out cell predicted by a model fitted without it):\n");
    std::fputs(model::format_validation(m->validations).c_str(), stdout);
  }
  const fs::path out = f.out.empty() ? f.dirs.front() / "model.json" : f.out;
  std::ofstream o(out);
  if (!(o << model::to_json(*m).dump(1) << "\n")) {
    return report_error({ErrorCode::kIo, "cannot write " + out.string()});
  }
  std::printf("\nModel written to %s\n", out.c_str());
  return 0;
}

int run_predict(const ModelFlags& f) {
  std::ifstream in(f.model_file);
  if (!in)
    return report_error(
        {ErrorCode::kIo, "cannot read " + f.model_file.string() + " (write it with `lumos model fit DIR -o FILE`)"});
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return report_error({ErrorCode::kConfig, f.model_file.string() + ": not valid JSON"});
  auto m = model::model_from_json(j);
  if (!m) return report_error(m.error());
  auto prices = model::default_price_tables();
  if (!f.prices.empty()) {
    auto p = model::load_price_tables(f.prices);
    if (!p) return report_error(p.error());
    prices = std::move(*p);
  }
  model::Query q = f.query;
  // At N > 1 clients the question is a closed-loop level through a fresh autoscaling pool
  // (what `load: {kind: closed}` measures): the first N - prewarm requests start instances.
  if (f.cold_fraction >= 0) {
    q.cold_fraction = f.cold_fraction;
  } else if (q.mode == "warm" && q.concurrency > 1) {
    q.cold_fraction = std::clamp(static_cast<double>(q.concurrency - f.prewarm) / std::max(1, f.requests), 0.0, 1.0);
    q.requests = f.requests;
  }
  if (f.cpu_share > 0) q.cpu_share = f.cpu_share;
  if (f.rtt_ms >= 0) q.rtt_ms = f.rtt_ms;
  if (f.bandwidth_mbps > 0) q.bandwidth_mbps = f.bandwidth_mbps;
  if (f.memory_mb > 0) q.memory_mb = f.memory_mb;
  auto p = model::predict(*m, q, prices);
  if (!p && p.error().code == ErrorCode::kUsage) {  // the flags CLI11 cannot check: the profile
    return report_error({ErrorCode::kUsage, p.error().message + "; or give --cpu-share, --rtt-ms, --bandwidth-mbps"});
  }
  if (!p) return report_error(p.error());
  std::fputs(f.json ? (model::to_json(*p).dump(1) + "\n").c_str() : model::format_prediction(*p).c_str(), stdout);
  return 0;
}

}  // namespace

Subcommand add_model_command(CLI::App& parent) {
  auto flags = std::make_shared<ModelFlags>();
  Subcommand sub;
  sub.app = parent.add_subcommand("model", "The performance model: fit it from results, predict configurations");
  sub.app->require_subcommand(1);

  auto* fit =
      sub.app->add_subcommand("fit", "Fit the model from results folders and validate it on held-out configurations");
  fit->add_option("dirs", flags->dirs, "Results folders (each holds invocations.jsonl)")
      ->required()
      ->check(CLI::ExistingDirectory);
  fit->add_option("--out,-o", flags->out, "Where to write the model (default DIR/model.json)");
  fit->add_option("--images", flags->images,
                  "Image sizes JSON (`lumos images --json`); default DIR/images.json if present")
      ->check(CLI::ExistingFile);
  fit->add_option("--artifacts", flags->artifacts, "Artifacts folder for module sizes when no images JSON exists")
      ->capture_default_str();
  fit->add_option("--ridge", flags->ridge, "Penalty on function x runtime terms")->capture_default_str();
  fit->add_flag("--no-validate", flags->no_validate, "Skip the held-out validation");

  auto* pred = sub.app->add_subcommand("predict", "Predict p50/p95 latency, throughput and cost of a configuration");
  pred->add_option("--model,-m", flags->model_file, "model.json from `lumos model fit`")->required();
  pred->add_option("--function,-f", flags->query.function, "Function name")->required();
  pred->add_option("--input,-i", flags->query.input, "Input name (measured on at least one runtime)")->required();
  pred->add_option("--runtime,-r", flags->query.runtime, "native, runc, wasmedge-interp, wasmedge-aot, ...")
      ->required();
  pred->add_option("--mode", flags->query.mode, "cold, warm or instance")
      ->check(CLI::IsMember({"cold", "warm", "instance"}))
      ->capture_default_str();
  pred->add_option("--io", flags->query.io, "direct or baas")
      ->check(CLI::IsMember({"direct", "baas"}))
      ->capture_default_str();
  pred->add_option("--concurrency,-c", flags->query.concurrency, "Closed-loop clients")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  pred->add_option("--requests", flags->requests,
                   "At -c > 1: requests of the closed-loop level (a fresh pool: the first clients meet cold starts)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  pred->add_option("--prewarm", flags->prewarm, "At -c > 1: instances started before the level begins")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  pred->add_option("--cold-fraction", flags->cold_fraction,
                   "Share of requests meeting a new instance (0-1), instead of --requests/--prewarm; 0: steady state")
      ->check(CLI::Range(0.0, 1.0));
  pred->add_option("--profile,-p", flags->query.profile,
                   "Environment profile (cloud, edge, edge-tiny, or from the results)")
      ->capture_default_str();
  pred->add_option("--cpu-share", flags->cpu_share, "Override the profile's CPU share per instance");
  pred->add_option("--rtt-ms", flags->rtt_ms, "Override the profile's BaaS round-trip time");
  pred->add_option("--bandwidth-mbps", flags->bandwidth_mbps, "Override the profile's bandwidth");
  pred->add_option("--memory-mb", flags->memory_mb, "Billed memory (default: profile limit, else measured peak RSS)");
  pred->add_option("--prices", flags->prices, "Price table JSON overriding the defaults")->check(CLI::ExistingFile);
  pred->add_flag("--json", flags->json, "JSON instead of text");

  sub.run = [flags, fit, pred]() -> int {
    if (*fit) return run_fit(*flags);
    if (*pred) return run_predict(*flags);
    return 2;
  };
  return sub;
}

}  // namespace lumos::cli
