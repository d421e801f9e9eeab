// Runtime display order and phase groups.
#include "lumos/common/vocabulary.hpp"

#include <algorithm>

namespace lumos {

std::size_t runtime_rank(std::string_view runtime) {
  return static_cast<std::size_t>(std::find(kRuntimeOrder.begin(), kRuntimeOrder.end(), runtime) -
                                  kRuntimeOrder.begin());
}

bool runtime_less(std::string_view a, std::string_view b) {
  const std::size_t ra = runtime_rank(a), rb = runtime_rank(b);
  if (ra != rb) return ra < rb;
  return ra == kRuntimeOrder.size() && a < b;
}

bool is_start_phase(std::string_view phase) {
  return std::find(kStartPhases.begin(), kStartPhases.end(), phase) != kStartPhases.end() ||
         std::find(kInstanceStartPhases.begin(), kInstanceStartPhases.end(), phase) != kInstanceStartPhases.end();
}

}  // namespace lumos
