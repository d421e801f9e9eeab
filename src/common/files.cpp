// Whole-file reads and writes.
#include "lumos/common/files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lumos/common/format.hpp"

namespace lumos {

Result<std::string> read_file(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, "cannot read " + std::string(what) + " '" + path.string() + "': check the path");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::kIo, "error while reading " + std::string(what) + " '" + path.string() + "'");
  return ss.str();
}

std::string read_file_or_empty(const std::filesystem::path& path) { return read_file(path).value_or(std::string()); }

namespace {

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<std::string> refused(const std::string& relative, std::string_view why) {
  return fail(ErrorCode::kOutputMismatch, relative + " " + std::string(why));
}

}  // namespace

Result<std::string> read_output_beneath(const std::filesystem::path& dir, const std::string& relative,
                                        std::size_t max_bytes) {
  const Fd base(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (base.fd < 0)
    return fail(ErrorCode::kIo, "cannot open the work directory " + dir.string() + ": " + std::strerror(errno));
  open_how how{};
  how.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;  // O_NONBLOCK: a FIFO must not block the open
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const Fd file(static_cast<int>(::syscall(SYS_openat2, base.fd, relative.c_str(), &how, sizeof how)));
  if (file.fd < 0) {
    switch (errno) {
      case ENOENT:
        return refused(relative, "was not written");
      case ELOOP:
        return refused(relative,
                       "is a symbolic link or passes through one: lumos reads outputs only as regular "
                       "files inside the work directory, never through links");
      case EXDEV:
        return refused(relative, "leads out of the work directory: refused");
      case ENOSYS:
        return fail(ErrorCode::kIo, "cannot read " + relative + " safely: openat2 needs Linux 5.6 or newer");
      default:
        return refused(relative, std::string("cannot be opened: ") + std::strerror(errno));
    }
  }
  struct stat st{};
  if (::fstat(file.fd, &st) != 0) return refused(relative, std::string("cannot be examined: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return refused(relative, "is not a regular file (a device, FIFO, socket or folder): refused");
  const auto too_big = [&] {
    return refused(relative, "is larger than the " + text::bytes(max_bytes) + " lumos reads of an output");
  };
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) return too_big();
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(file.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return refused(relative, std::string("cannot be read: ") + std::strerror(errno));
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) return too_big();  // it grew while read
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Result<void> write_file(const std::filesystem::path& path, std::string_view text, std::string_view what) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out)
    return fail(ErrorCode::kIo, "cannot write " + std::string(what) + " '" + path.string() +
                                    "': check the folder exists and is writable");
  return {};
}

}  // namespace lumos
