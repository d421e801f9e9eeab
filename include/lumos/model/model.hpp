// The Lumos performance model: latency as a sum of explainable drivers, fitted from results.
//
//   latency(N) = start(runtime, module size) * [cold]
//              + exec(work of function x input, runtime, cpu share)
//              + serialization(bytes, runtime, cpu share)
//              + io(BaaS bytes, runtime) + network(round trips x RTT, bytes / bandwidth)
//              + overhead(runtime, mode, bytes)
//              + queueing(concurrency)                      (USL, or bounds without data)
//
// start, compute and serde are log-linear: log(component) = a sum of named coefficients (a
// runtime's factor, a function's or input's work, a function x runtime affinity, a cold
// factor, a slope on log bytes or log module size); overhead and io are linear: a fixed cost
// per runtime and mode plus a cost per byte. All are fitted by (ridge-)least squares on cell
// medians with Eigen. Coefficients are saved by name in JSON so every prediction can be
// explained term by term. docs/ARCHITECTURE.md ("Model and report") lists which terms are
// identifiable from which experiments.
#pragma once

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lumos/common/result.hpp"
#include "lumos/model/cost.hpp"
#include "lumos/model/dataset.hpp"
#include "lumos/model/usl.hpp"

namespace lumos::model {

/// One fitted log-linear component.
struct Component {
  std::string name;  ///< "start", "compute", "serde", "io", "overhead"
  /// false: log(ns) = sum coef x feature (multiplicative factors); true: ns = sum coef x
  /// feature (a fixed cost plus a cost per byte), fitted with relative (1 / y^2) weights.
  bool linear = false;
  std::map<std::string, double> coef;  ///< feature name -> coefficient (log-ns or ns units)
  double cpu_elasticity = 1.0;         ///< time scales with (1 / cpu_share) ^ elasticity
  bool cpu_elasticity_fitted = false;  ///< true when the data held >= 2 CPU shares
  std::size_t cells = 0;               ///< cells the fit used
  double rms_log_residual = 0.0;       ///< in-sample RMS of log(measured / fitted)
};

/// Payload of one function input.
struct InputInfo {
  double bytes = 0;       ///< request + response bytes
  double baas_bytes = 0;  ///< bytes moved to/from BaaS in BaaS mode (0 if never measured)
};

/// Held-out check of one cell.
struct HeldOut {
  CellKey key;
  double measured_ns = 0;
  double predicted_ns = 0;
  double ape = 0;  ///< |predicted - measured| / measured
};

/// Result of a held-out validation.
struct Validation {
  std::string scheme;  ///< "configuration" (function x input x runtime) or "function-runtime"
  std::vector<HeldOut> points;
  std::map<std::string, double> mape_by_runtime;  ///< mean APE, as a fraction
  std::map<std::string, std::size_t> n_by_runtime;
  std::map<std::string, double> mape_by_mode;
  double mape = 0;  ///< over all points
  double median_ape = 0;
  std::size_t not_identifiable = 0;  ///< held-out cells the rest of the data cannot explain
};

/// The fitted model (saved as model.json).
struct Model {
  int version = 1;
  std::string reference_runtime = "native";  ///< the runtime whose compute factor is 1
  Component start, compute, serde, io, overhead;
  std::map<std::string, Usl> usl;             ///< runtime -> law; absent: bounds model
  std::map<std::string, double> tail_ratio;   ///< "runtime/mode" -> median p95 / p50
  std::map<std::string, double> cpu_ratio;    ///< runtime -> median CPU time / e2e (warm)
  std::map<std::string, InputInfo> inputs;    ///< "function/input"
  std::map<std::string, double> peak_rss_mb;  ///< "function/runtime" -> median peak RSS
  ModuleSizes module_sizes;
  std::map<std::string, Environment> profiles;
  int host_cpus = 1;
  double round_trips_per_request = 2;  ///< BaaS round trips per request (GET + SET)
  /// Extra round trips of a cold BaaS request: one Redis connection per instance, opened on
  /// first use; the link emulator holds a new connection's first bytes 1.5 RTT (handshake).
  double connect_round_trips = 1.5;
  std::vector<std::string> results;     ///< folders it was fitted from
  std::size_t cells = 0;                ///< cells used
  std::vector<Validation> validations;  ///< filled by `lumos model fit`
};

/// Options of fit().
struct FitOptions {
  double ridge = 1.0;  ///< penalty on affinity terms (pseudo-observations at factor 1)
};

/// Fits the model from cells (cells::group of the data set's records) and the data set's context (profiles, module
/// sizes, CPUs). Fails with kConfig when no usable cell exists.
Result<Model> fit(const std::vector<Cell>& cells, const Dataset& data, const FitOptions& options = {});

/// A configuration to predict.
struct Query {
  std::string function, input, runtime;
  std::string mode = "warm";
  std::string io = "direct";
  std::string profile = "cloud";
  int concurrency = 1;
  /// Warm queries under load: share of requests that meet a new instance (an autoscaling
  /// pool scaling up; N / requests for a fresh pool of N clients without pre-warming).
  double cold_fraction = 0;
  /// Requests of the closed-loop level (0: unknown; the cold starts are then taken as one
  /// burst of N).
  int requests = 0;
  std::optional<double> cpu_share, rtt_ms, bandwidth_mbps, memory_mb;  ///< override the profile
};

/// The query that predicts what a measured cell measured (a closed-loop level: warm requests
/// at its concurrency, with its share of cold starts and its number of requests).
Query query_of(const Cell& cell);

/// One term of a prediction, for explanations.
struct Term {
  std::string component;  ///< "compute", ...
  double ns = 0;
  std::string why;  ///< "work(fibonacci/medium) 330 us x slowdown(wasmedge-aot) 1.3 x ..."
};

/// A prediction: p50 latency, throughput and cost.
struct Prediction {
  Query query;
  Environment env;            ///< the profile after overrides
  std::vector<Term> terms;    ///< service-time breakdown at concurrency 1
  double service_ns = 0;      ///< sum of the terms: p50 at concurrency 1
  double p50_ns = 0;          ///< at the query's concurrency (queueing included)
  double p95_ns = 0;          ///< p50 x the runtime's tail ratio
  double queueing_ns = 0;     ///< p50_ns - service_ns
  double throughput_rps = 0;  ///< completed requests per second at the concurrency
  double cpu_demand_ns = 0;   ///< CPU time per request
  bool usl_fitted = false;    ///< queueing from a fitted USL (else from bounds)
  double memory_mb = 0;       ///< billed memory basis
  InvocationCost cost;        ///< per invocation
  double cost_per_million_usd = 0;
  std::vector<std::string> notes;  ///< assumptions and fallbacks used
};

/// Predicts a configuration. Fails with kConfig when the function x input was never measured
/// on any runtime (its work is unknown), naming what the model knows.
Result<Prediction> predict(const Model& model, const Query& query,
                           const std::map<std::string, PriceTable>& prices = default_price_tables());

/// How configurations are held out.
enum class Holdout {
  kConfiguration,    ///< each function x input x runtime in turn (all its modes, io, levels)
  kFunctionRuntime,  ///< each function x runtime in turn (all its inputs)
};

/// Refits without each held-out group and predicts its cells' median e2e. MAPE per runtime.
Validation validate(const std::vector<Cell>& cells, const Dataset& data, Holdout scheme,
                    const FitOptions& options = {});

/// Model <-> JSON (model.json). model_from_json fails with kConfig on a wrong version or shape.
nlohmann::json to_json(const Model& m);
Result<Model> model_from_json(const nlohmann::json& j);
nlohmann::json to_json(const Validation& v);
nlohmann::json to_json(const Prediction& p);

/// What the fitted model says of one runtime, decoded from its coefficients (NaN: not fitted).
struct RuntimeDrivers {
  std::string runtime;
  double compute_factor = 1.0;  ///< time of the same work relative to the reference runtime
  double cold_start_ns = std::numeric_limits<double>::quiet_NaN();      ///< at its median module size
  double instance_start_ns = std::numeric_limits<double>::quiet_NaN();  ///< mode `instance`, if measured
  double per_request_ns = std::numeric_limits<double>::quiet_NaN();     ///< warm request path outside the function
  double baas_ns = std::numeric_limits<double>::quiet_NaN();            ///< warm BaaS get + put
  std::optional<Usl> usl;                                               ///< absent: no concurrency data for it
  std::optional<double> tail_ratio;                                     ///< median p95 / p50 of its warm cells
};

/// Every runtime the model knows (the reference included), in the house order.
std::vector<RuntimeDrivers> runtime_drivers(const Model& m);

/// Human-readable summary of the main coefficients (runtime factors, start times, USL).
std::string format_model(const Model& m);
/// Human-readable prediction with its terms, throughput and cost.
std::string format_prediction(const Prediction& p);
/// One table of MAPE per runtime for the validations.
std::string format_validation(const std::vector<Validation>& vs);

}  // namespace lumos::model
