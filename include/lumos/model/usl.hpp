// The Universal Scalability Law (Gunther): throughput of a closed system at concurrency N.
//
//   X(N) = X(1) * N / (1 + sigma * (N - 1) + kappa * N * (N - 1))
//
// sigma is contention (serialized share of the work), kappa coherency (crosstalk). With
// zero think time, Little's law gives the response time R(N) = N / X(N).
#pragma once

#include <vector>

namespace lumos::model {

struct Usl {
  double sigma = 0.0;      ///< contention, >= 0
  double kappa = 0.0;      ///< coherency, >= 0
  bool fitted = false;     ///< from concurrency data (else the defaults above)
  std::size_t points = 0;  ///< (N, relative capacity) points used
};

/// Relative capacity C(N) = X(N) / X(1) under the law. N >= 1.
double usl_capacity(const Usl& u, double n);

/// One measured point: concurrency and throughput relative to the lowest level's per-client
/// throughput, i.e. C(N) = X(N) / X(N0) * N0.
struct UslPoint {
  double n = 1;
  double capacity = 1;
};

/// Least-squares fit of sigma and kappa from points (N, C(N)) via the linearisation
/// N / C(N) - 1 = sigma * (N - 1) + kappa * N * (N - 1), constrained to sigma, kappa >= 0.
/// Fewer than 2 points with N > 1: returns the unfitted law (0, 0).
Usl fit_usl(const std::vector<UslPoint>& points);

}  // namespace lumos::model
