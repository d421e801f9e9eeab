// A fresh temporary folder under /tmp, removed by the destructor: the one scratch folder of the
// unit and integration tests (tests never write outside their own temporary folders).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace lumos::testing {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix = "lumos-it") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace lumos::testing
