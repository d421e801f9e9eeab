// Writing to file descriptors.
#include "lumos/common/io.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace lumos {

Result<void> write_all(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t r = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail(ErrorCode::kIo, std::string("write: ") + std::strerror(errno));
    done += static_cast<std::size_t>(r);
  }
  return {};
}

}  // namespace lumos
