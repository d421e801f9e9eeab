// Universal Scalability Law: capacity and a non-negative least-squares fit of sigma and kappa.
#include "lumos/model/usl.hpp"

#include <algorithm>
#include <cmath>

namespace lumos::model {

double usl_capacity(const Usl& u, double n) {
  if (!(n >= 1.0)) return n > 0 ? n : 0.0;
  return n / (1.0 + u.sigma * (n - 1.0) + u.kappa * n * (n - 1.0));
}

Usl fit_usl(const std::vector<UslPoint>& points) {
  // y = N / C - 1 = sigma * a + kappa * b with a = N - 1, b = N (N - 1); no intercept.
  double saa = 0, sab = 0, sbb = 0, say = 0, sby = 0;
  std::size_t used = 0;
  for (const auto& p : points) {
    if (!(p.n > 1.0) || !(p.capacity > 0.0) || !std::isfinite(p.capacity)) continue;
    const double a = p.n - 1.0, b = p.n * (p.n - 1.0), y = p.n / p.capacity - 1.0;
    saa += a * a;
    sab += a * b;
    sbb += b * b;
    say += a * y;
    sby += b * y;
    ++used;
  }
  Usl u;
  u.points = used;
  if (used < 2) return u;
  // Non-negative least squares over two variables: the unconstrained solution if feasible,
  // else the best of the one-variable fits on each boundary.
  const auto sse = [&](double s, double k) {
    double e = 0;
    for (const auto& p : points) {
      if (!(p.n > 1.0) || !(p.capacity > 0.0) || !std::isfinite(p.capacity)) continue;
      const double r = p.n / p.capacity - 1.0 - s * (p.n - 1.0) - k * p.n * (p.n - 1.0);
      e += r * r;
    }
    return e;
  };
  const double det = saa * sbb - sab * sab;
  double best_s = 0, best_k = 0, best_e = sse(0, 0);
  if (std::abs(det) > 1e-12 * saa * sbb) {
    const double s = (say * sbb - sby * sab) / det, k = (sby * saa - say * sab) / det;
    if (s >= 0 && k >= 0 && sse(s, k) < best_e) best_s = s, best_k = k, best_e = sse(s, k);
  }
  if (saa > 0) {
    const double s = std::max(0.0, say / saa);
    if (sse(s, 0) < best_e) best_s = s, best_k = 0, best_e = sse(s, 0);
  }
  if (sbb > 0) {
    const double k = std::max(0.0, sby / sbb);
    if (sse(0, k) < best_e) best_s = 0, best_k = k, best_e = sse(0, k);
  }
  u.sigma = best_s;
  u.kappa = best_k;
  u.fitted = true;
  return u;
}

}  // namespace lumos::model
