// Writing to file descriptors.
#pragma once

#include <string_view>

#include "lumos/common/result.hpp"

namespace lumos {

/// Writes all bytes to fd, retrying on EINTR and short writes. Fails with kIo (EPIPE included).
Result<void> write_all(int fd, std::string_view bytes);

}  // namespace lumos
