// read_output_beneath: what a function leaves is read only as a regular file inside its work
// directory, never through a link, and never more than the cap.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "../temp_dir.hpp"

#include "lumos/common/files.hpp"

namespace lumos {
namespace {
namespace fs = std::filesystem;

std::string why(const Result<std::string>& r) { return r ? std::string("read ") + *r : r.error().message; }

TEST(ReadOutputBeneath, ReadsRegularFilesInsideTheFolder) {
  testing::TempDir d("lumos-outputs");
  fs::create_directories(d.path / "sub");
  std::ofstream(d.path / "sub" / "out.txt") << "hello";
  auto r = read_output_beneath(d.path, "sub/out.txt");
  ASSERT_TRUE(r) << why(r);
  EXPECT_EQ(*r, "hello");
}

TEST(ReadOutputBeneath, RefusesLinksDevicesFifosFoldersEscapesAndOversizeFiles) {
  testing::TempDir d("lumos-outputs");
  std::ofstream(d.path / "big.txt") << std::string(11, 'x');
  fs::create_symlink("/etc/hostname", d.path / "link");
  fs::create_directories(d.path / "dir");
  fs::create_directory_symlink(d.path / "dir", d.path / "dirlink");
  std::ofstream(d.path / "dir" / "in.txt") << "x";
  ASSERT_EQ(::mkfifo((d.path / "fifo").c_str(), 0600), 0);
  const auto refused = [&](const std::string& relative, const std::string& said, std::size_t cap = kMaxOutputBytes) {
    auto r = read_output_beneath(d.path, relative, cap);
    ASSERT_FALSE(r) << relative << ": " << why(r);
    EXPECT_EQ(r.error().code, ErrorCode::kOutputMismatch) << relative;
    EXPECT_NE(r.error().message.find(said), std::string::npos) << relative << ": " << r.error().message;
  };
  refused("link", "is a symbolic link");
  refused("dirlink/in.txt", "is a symbolic link or passes through one");
  refused("fifo", "is not a regular file");
  refused("dir", "is not a regular file");
  refused("../outside.txt", "leads out of the work directory");
  refused("/etc/hostname", "leads out of the work directory");
  refused("missing.txt", "was not written");
  refused("big.txt", "is larger than", 10);
  EXPECT_TRUE(read_output_beneath(d.path, "big.txt", 11));
}

}  // namespace
}  // namespace lumos
