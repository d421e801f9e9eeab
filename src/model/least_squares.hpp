// Ridge least squares over named, sparse features (the model's one solver; Eigen inside).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace lumos::model::detail {

/// One equation: sum of value * coefficient[name] over x should equal y, with weight w.
struct LsRow {
  std::vector<std::pair<std::string, double>> x;
  double y = 0;
  double w = 1;
};

/// Minimizes sum w (y - x.b)^2 + sum penalty(name) b_name^2 + epsilon |b|^2 (epsilon keeps
/// unidentified directions at 0 instead of failing). Features that appear in no row are absent
/// from the result.
std::map<std::string, double> solve_ridge(const std::vector<LsRow>& rows,
                                          const std::function<double(const std::string&)>& penalty,
                                          double epsilon = 1e-9);

}  // namespace lumos::model::detail
