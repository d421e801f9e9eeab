// Helpers shared by the image sources: files, digests, locks, running the OCI tools.
#include "image_util.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>

#include "lumos/common/process.hpp"

namespace lumos::image::detail {
namespace fs = std::filesystem;

Result<void> write_file_atomic(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return fail(ErrorCode::kIo, "cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot move " + tmp.string() + " to " + path.string() + ": " + ec.message());
  return {};
}

std::string file_digest(const fs::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return "";
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<unsigned char> buf(1 << 16);
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) EVP_DigestUpdate(ctx, buf.data(), n);
  bool read_ok = !std::ferror(f);
  std::fclose(f);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  if (!read_ok) return "";
  static const char* hex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

fs::path blob_path(const fs::path& layout, const std::string& digest) {
  auto colon = digest.find(':');
  if (colon == std::string::npos) return layout / "blobs" / "invalid-digest";
  return layout / "blobs" / digest.substr(0, colon) / digest.substr(colon + 1);
}

fs::path cache_dir(const fs::path& layout) { return layout.parent_path() / (layout.filename().string() + "-cache"); }

FileLock::FileLock(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fd_ = open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd_ >= 0) {
    while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);  // releases the lock
}

namespace {

std::string tail(const std::string& text, std::size_t max = 800) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t.size() <= max ? t : "..." + t.substr(t.size() - max);
}

}  // namespace

Result<std::string> run_tool(const std::vector<std::string>& argv, const std::string& what,
                             std::chrono::milliseconds timeout) {
  char tmpl[] = "/tmp/lumos-tool-XXXXXX";
  if (!mkdtemp(tmpl)) return fail(ErrorCode::kIo, "cannot create a scratch folder in /tmp");
  fs::path scratch = tmpl;
  OneShotSpec spec;
  spec.argv = argv;
  spec.stdin_file = "/dev/null";
  spec.stdout_file = scratch / "stdout";
  spec.stderr_file = scratch / "stderr";
  spec.timeout = timeout;
  auto ran = run_one_shot(spec);
  std::string out = read_file_or_empty(spec.stdout_file);
  std::string err = read_file_or_empty(spec.stderr_file);
  std::error_code ec;
  fs::remove_all(scratch, ec);
  if (!ran) {
    if (ran.error().code == ErrorCode::kNotInstalled) {
      return fail(ErrorCode::kNotInstalled, argv.front() + " not found (needed for " + what + "): run scripts/setup");
    }
    return tl::unexpected(ran.error());
  }
  if (ran->timed_out) {
    return fail(ErrorCode::kBuild,
                what + ": " + argv.front() + " did not finish within " + std::to_string(timeout.count() / 1000) + " s");
  }
  if (ran->exit_code() != 0) {
    std::string text = tail(err.empty() ? out : err);
    return fail(ErrorCode::kBuild, what + ": " + argv.front() + " " + (argv.size() > 1 ? argv[1] + " " : "") +
                                       ran->describe() + (text.empty() ? "" : ": " + text));
  }
  return out;
}

}  // namespace lumos::image::detail
