// The real `lumos report` on the synthetic fixture, opened in headless Chromium: no console
// errors, no network, and every plot drawn with a non-empty size.
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace lumos::testing {
namespace {
namespace fs = std::filesystem;

const fs::path kFixture = fs::path(LUMOS_TEST_DATA_DIR) / "report" / "results";

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string chromium_binary() {
  if (const char* env = std::getenv("LUMOS_CHROMIUM")) return env;
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    auto r = run_command({"sh", "-c", std::string("command -v ") + name});
    if (r && r->exit_code == 0) return name;
  }
  return "";
}

TEST(ReportCli, WritesHtmlMarkdownAndCsvBesideIt) {
  TempDir dir;
  const fs::path out = dir.path / "r" / "report.html";
  auto r = run_command(
      {lumos_binary().string(), "report", kFixture.string(), "-o", out.string(), "--artifacts", "/nonexistent"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->exit_code, 0) << r->out;
  EXPECT_NE(r->out.find("(8 of 8 plots drawn)"), std::string::npos) << r->out;
  EXPECT_TRUE(fs::exists(dir.path / "r" / "report.md"));
  for (const char* id : {"paper-vs-ours", "comparisons", "cold-start-phases", "start-levels", "io-serialization",
                         "model-validation", "summary"}) {
    EXPECT_TRUE(fs::exists(dir.path / "r" / (std::string("report-") + id + ".csv"))) << id;
  }
  EXPECT_NE(slurp(dir.path / "r" / "report-paper-vs-ours.csv").find("up to 30x"), std::string::npos);
}

TEST(ReportCli, FitThenPredictThenReportWithTheSavedModel) {
  TempDir dir;
  const fs::path model = dir.path / "model.json";
  auto fit = run_command({lumos_binary().string(), "model", "fit", kFixture.string(), "-o", model.string(),
                          "--artifacts", "/nonexistent"});
  ASSERT_TRUE(fit);
  ASSERT_EQ(fit->exit_code, 0) << fit->out;
  EXPECT_NE(fit->out.find("held-out MAPE"), std::string::npos) << fit->out;
  auto pred = run_command({lumos_binary().string(), "model", "predict", "-m", model.string(), "-f", "fibonacci", "-i",
                           "medium", "-r", "wasmedge-aot", "--profile", "edge-pi", "-c", "8", "--json"});
  ASSERT_TRUE(pred);
  ASSERT_EQ(pred->exit_code, 0) << pred->out;
  const auto j = nlohmann::json::parse(pred->out);
  EXPECT_GT(j.at("p50_ns").get<double>(), 0);
  EXPECT_GT(j.at("throughput_rps").get<double>(), 0);
  EXPECT_GT(j.at("cost").at("total_usd").get<double>(), 0);
  EXPECT_TRUE(j.at("usl_fitted").get<bool>());  // the fixture has closed-loop levels
  // -c 8 is a closed level as `lumos run` measures it: 100 requests, the first 8 cold.
  EXPECT_DOUBLE_EQ(j.at("query").at("cold_fraction").get<double>(), 0.08);
  EXPECT_EQ(j.at("query").at("requests").get<int>(), 100);
  auto steady =
      run_command({lumos_binary().string(), "model", "predict", "-m", model.string(), "-f", "fibonacci", "-i", "medium",
                   "-r", "wasmedge-aot", "--profile", "edge-pi", "-c", "8", "--cold-fraction", "0", "--json"});
  ASSERT_TRUE(steady);
  ASSERT_EQ(steady->exit_code, 0) << steady->out;
  const auto s = nlohmann::json::parse(steady->out);
  EXPECT_GT(s.at("throughput_rps").get<double>(), j.at("throughput_rps").get<double>()) << "no cold starts to pay";
  EXPECT_LT(s.at("p95_ns").get<double>(), j.at("p95_ns").get<double>()) << "the tail of the level is its cold starts";
  auto rep = run_command({lumos_binary().string(), "report", kFixture.string(), "-o", (dir.path / "r.html").string(),
                          "-m", model.string()});
  ASSERT_TRUE(rep);
  ASSERT_EQ(rep->exit_code, 0) << rep->out;
  EXPECT_NE(slurp(dir.path / "r-model-validation.csv").find("wasmedge-aot"), std::string::npos);
}

TEST(ReportCli, UsageErrorsExitWithTwo) {
  auto r = run_command({lumos_binary().string(), "report", "/nonexistent/results"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 2) << r->out;
  auto p = run_command({lumos_binary().string(), "model", "predict", "--model", "/nonexistent.json", "-f", "x", "-i",
                        "y", "-r", "native"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->exit_code, 1) << p->out;
  EXPECT_NE(p->out.find("lumos model fit"), std::string::npos) << p->out;
}

TEST(ReportBrowser, OpensInHeadlessChromiumWithoutErrorsAndEveryPlotDrawn) {
  const std::string chromium = chromium_binary();
  if (chromium.empty()) {
    GTEST_SKIP()
        << "chromium is not installed (scripts/setup installs Debian's chromium); set LUMOS_CHROMIUM to use another";
  }
  TempDir dir;
  const fs::path html = dir.path / "report.html";
  auto r = run_command(
      {lumos_binary().string(), "report", kFixture.string(), "-o", html.string(), "--artifacts", "/nonexistent"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->exit_code, 0) << r->out;

  OneShotSpec spec;
  spec.argv = {chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--user-data-dir=" + (dir.path / "profile").string(),
               // Any network use would fail: the report must need none.
               "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0", "--window-size=1300,900",
               "--dump-dom", "file://" + html.string()};
  spec.stdin_file = "/dev/null";
  spec.stdout_file = dir.path / "dom.html";
  spec.stderr_file = dir.path / "chromium.log";
  spec.timeout = std::chrono::milliseconds(120'000);
  auto run = run_one_shot(spec);
  ASSERT_TRUE(run) << run.error().to_string();
  const std::string dom = slurp(spec.stdout_file), log = slurp(spec.stderr_file);
  ASSERT_FALSE(run->timed_out) << log.substr(0, 2000);
  ASSERT_EQ(run->exit_code(), 0) << log.substr(0, 2000);

  // Console messages (JavaScript errors among them) are logged as ":CONSOLE"; the page logs none.
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.find(":CONSOLE"), std::string::npos) << line;
  }
  // The page's own check ran (DOMContentLoaded) and found every figure drawn with a size.
  EXPECT_NE(dom.find("data-report-ok=\"true\""), std::string::npos) << dom.substr(0, 400);
  EXPECT_NE(dom.find("data-plots-drawn=\"8\""), std::string::npos);
  EXPECT_NE(dom.find("data-plots-missing=\"0\""), std::string::npos);
  for (const char* id : {"cold-start", "start-levels", "warm-latency", "image-sizes", "io-serialization",
                         "concurrency-1", "latency-cdf", "model-fit"}) {
    const auto at = dom.find(std::string("id=\"plot-") + id + "\"");
    ASSERT_NE(at, std::string::npos) << id;
    const auto end = dom.find("</figure>", at);
    EXPECT_NE(dom.substr(at, end - at).find("<svg"), std::string::npos) << id;
  }
}

}  // namespace
}  // namespace lumos::testing
