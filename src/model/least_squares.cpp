// Ridge least squares by the normal equations (sparse accumulation, Eigen LDLT solve).
#include "least_squares.hpp"

#include <unordered_map>

#include <eigen3/Eigen/Dense>

namespace lumos::model::detail {

std::map<std::string, double> solve_ridge(const std::vector<LsRow>& rows,
                                          const std::function<double(const std::string&)>& penalty, double epsilon) {
  std::unordered_map<std::string, int> index;
  std::vector<std::string> names;
  for (const auto& r : rows) {
    for (const auto& [name, v] : r.x) {
      if (index.emplace(name, static_cast<int>(names.size())).second) names.push_back(name);
    }
  }
  const int p = static_cast<int>(names.size());
  std::map<std::string, double> out;
  if (p == 0) return out;
  Eigen::MatrixXd ata = Eigen::MatrixXd::Zero(p, p);
  Eigen::VectorXd atb = Eigen::VectorXd::Zero(p);
  std::vector<std::pair<int, double>> xs;
  for (const auto& r : rows) {
    xs.clear();
    for (const auto& [name, v] : r.x) xs.emplace_back(index.at(name), v);
    for (const auto& [i, vi] : xs) {
      atb(i) += r.w * vi * r.y;
      for (const auto& [j, vj] : xs) ata(i, j) += r.w * vi * vj;
    }
  }
  for (int i = 0; i < p; ++i) ata(i, i) += penalty(names[static_cast<std::size_t>(i)]) + epsilon;
  const Eigen::VectorXd b = ata.ldlt().solve(atb);
  for (int i = 0; i < p; ++i) out[names[static_cast<std::size_t>(i)]] = b(i);
  return out;
}

}  // namespace lumos::model::detail
