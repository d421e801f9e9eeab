// The HTML report on the synthetic fixture (tests/data/report/results): headline ratios from
// the named cells, every figure present or explained, a self-contained page, Markdown and CSV.
#include "lumos/report/html_report.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#ifndef LUMOS_TEST_DATA_DIR
#error "LUMOS_TEST_DATA_DIR must be defined as the absolute path of tests/data"
#endif

namespace lumos::report {
namespace {
namespace fs = std::filesystem;

const fs::path kFixture = fs::path(LUMOS_TEST_DATA_DIR) / "report" / "results";

ReportData fixture_report(bool with_images = true, bool with_model = true) {
  ReportData r;
  auto data = model::load_dataset(kFixture);
  EXPECT_TRUE(data) << data.error().to_string();
  r.data = std::move(*data);
  r.results_dirs = {kFixture.string()};
  r.cells = cells::group(r.data.records);
  if (with_images) {
    auto images = model::read_image_sizes(kFixture / "images.json");
    EXPECT_TRUE(images);
    r.images = *images;
    r.images_source = (kFixture / "images.json").string();
  }
  if (with_model) {
    auto m = model::fit(r.cells, r.data);
    EXPECT_TRUE(m);
    m->validations.push_back(model::validate(r.cells, r.data, model::Holdout::kConfiguration));
    r.model = std::move(*m);
  }
  return r;
}

const Figure* find_figure(const std::vector<Figure>& fs, const std::string& id) {
  auto it = std::find_if(fs.begin(), fs.end(), [&](const Figure& f) { return f.id == id; });
  return it == fs.end() ? nullptr : &*it;
}

// A renderer that needs no gnuplot: an SVG naming the script's first data line.
Result<std::string> fake_svg(const std::string& script) {
  return "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><g id=\"gnuplot_canvas\">"
         "<use xlink:href='#gpPt1'/><path id='gpPt1'/></g><!-- " +
         std::to_string(script.size()) + " --></svg>";
}

TEST(HeadlineRatios, ComeFromTheNamedCells) {
  ReportData r = fixture_report();
  // The crun path: crun's container as runc's cold records, its Wasm AoT at 60% of them.
  for (const auto& rec : std::vector<lumos::telemetry::Invocation>(r.data.records)) {
    if (rec.mode != lumos::telemetry::Mode::kCold || rec.runtime != "runc") continue;
    auto container = rec;
    container.runtime = "crun";
    auto aot = rec;
    aot.runtime = "crun-wasmedge-aot";
    aot.e2e = rec.e2e * 6 / 10;
    r.data.records.push_back(container);
    r.data.records.push_back(aot);
  }
  r.cells = cells::group(r.data.records);
  const auto ratios = headline_ratios(r);
  ASSERT_EQ(ratios.size(), 6u);
  for (const auto& h : ratios) EXPECT_TRUE(h.has_data) << h.claim << ": " << h.ours;
  // Images: container-debian 31 MB over wasm-aot 0.42 MB (1 MB for hello).
  EXPECT_NE(ratios[0].ours.find("vs container-debian: up to 73.8x (range 31.0x to 73.8x"), std::string::npos)
      << ratios[0].ours;
  EXPECT_NE(ratios[0].ours.find("vs container-scratch: up to 2.74x"), std::string::npos) << ratios[0].ours;
  EXPECT_NE(ratios[0].cells.find("container-debian: max fibonacci, min hello"), std::string::npos) << ratios[0].cells;
  EXPECT_EQ(ratios[0].paper, "up to 30x");
  // Cold start: the fixture's AoT start (105 ms) is below runc's (120 ms).
  EXPECT_NE(ratios[1].ours.find("lower"), std::string::npos) << ratios[1].ours;
  EXPECT_NE(ratios[1].cells.find("cold direct"), std::string::npos);
  EXPECT_EQ(ratios[2].claim, "AoT vs container on the crun path");
  EXPECT_NE(ratios[2].ours.find("up to 40% lower (median 40% lower"), std::string::npos) << ratios[2].ours;
  EXPECT_EQ(ratios[3].claim, "AoT vs container as an instance start");
  // The fixture's instance cells: hello/small and fibonacci/small on wasmedge-aot.
  EXPECT_NE(ratios[3].ours.find("faster (median"), std::string::npos) << ratios[3].ours;
  EXPECT_NE(ratios[3].ours.find(", 2 cells)"), std::string::npos) << ratios[3].ours;
  // Interpreter vs AoT warm latency: at least tens of x for fibonacci/medium.
  EXPECT_NE(ratios[4].cells.find("fibonacci/medium"), std::string::npos) << ratios[4].cells;
  EXPECT_NE(ratios[5].cells.find("@baas"), std::string::npos) << ratios[5].cells;
}

TEST(HeadlineRatios, CellsOfEveryPlacementAreFound) {
  // Records of a same-cpu run (the default placement), and of a run that measured both
  // placements: the report compares the same-cpu cells.
  ReportData r = fixture_report(true, false);
  for (auto& rec : r.data.records) rec.placement = lumos::telemetry::Placement::kSameCpu;
  r.cells = cells::group(r.data.records);
  for (const auto& h : headline_ratios(r)) {
    if (h.claim.find("crun") != std::string::npos) continue;  // the fixture has no crun cells
    EXPECT_TRUE(h.has_data) << h.claim << ": " << h.ours;
  }
  const std::string same_cpu = headline_ratios(r)[1].ours;
  auto both = r.data.records;
  for (auto rec : r.data.records) {
    rec.placement = lumos::telemetry::Placement::kCrossCpu;
    rec.e2e *= 3;
    both.push_back(rec);
  }
  r.cells = cells::group(both);
  EXPECT_EQ(headline_ratios(r)[1].ours, same_cpu);
  const auto figures = report_figures(r);
  const Figure* warm = find_figure(figures, "warm-latency");
  ASSERT_NE(warm, nullptr);
  EXPECT_TRUE(warm->missing.empty()) << warm->missing;
}

TEST(HeadlineRatios, SayWhatIsMissingWithoutData) {
  ReportData empty;
  const auto ratios = headline_ratios(empty);
  ASSERT_EQ(ratios.size(), 6u);
  for (const auto& h : ratios) {
    EXPECT_FALSE(h.has_data);
    EXPECT_EQ(h.ours.rfind("no data", 0), 0u) << h.ours;
  }
  EXPECT_NE(ratios[0].ours.find("lumos images --json"), std::string::npos);
}

TEST(Figures, EveryPlotOfTheIssueIsThereWithData) {
  const auto figs = report_figures(fixture_report());
  for (const char* id :
       {"cold-start", "warm-latency", "image-sizes", "io-serialization", "concurrency-1", "latency-cdf", "model-fit"}) {
    const Figure* f = find_figure(figs, id);
    ASSERT_NE(f, nullptr) << id;
    EXPECT_FALSE(f->script.empty()) << id << ": " << f->missing;
    EXPECT_TRUE(f->missing.empty()) << id;
    EXPECT_NE(f->script.find("set terminal svg"), std::string::npos) << id;
  }
  EXPECT_NE(find_figure(figs, "warm-latency")->script.find("set logscale y"), std::string::npos);
  EXPECT_NE(find_figure(figs, "cold-start")->script.find("rowstacked"), std::string::npos);
}

TEST(Figures, MissingDataIsAPanelThatSaysSo) {
  ReportData r = fixture_report(/*with_images=*/false, /*with_model=*/false);
  // Drop the closed-loop levels: no concurrency data.
  std::erase_if(r.cells, [](const model::Cell& c) { return c.key.load == cells::LoadKind::kClosed; });
  const auto figs = report_figures(r);
  const Figure* images = find_figure(figs, "image-sizes");
  ASSERT_NE(images, nullptr);
  EXPECT_TRUE(images->script.empty());
  EXPECT_NE(images->missing.find("images.json"), std::string::npos);
  const Figure* conc = find_figure(figs, "concurrency");
  ASSERT_NE(conc, nullptr);
  EXPECT_NE(conc->missing.find("no concurrency data"), std::string::npos);
  EXPECT_FALSE(find_figure(figs, "model-fit")->missing.empty());
}

TEST(Render, InlinesSvgWithPrefixedIdsAndKeepsFailuresAsReasons) {
  std::vector<Figure> figs = report_figures(fixture_report());
  render_figures(figs, fake_svg);
  const Figure* f = find_figure(figs, "cold-start");
  EXPECT_EQ(f->svg.rfind("<svg", 0), 0u);  // no XML prolog
  EXPECT_NE(f->svg.find("id='cold-start-gpPt1'"), std::string::npos);
  EXPECT_NE(f->svg.find("href='#cold-start-gpPt1'"), std::string::npos);
  EXPECT_NE(f->svg.find("id=\"cold-start-gnuplot_canvas\""), std::string::npos);

  std::vector<Figure> failing = report_figures(fixture_report());
  render_figures(failing, [](const std::string&) -> Result<std::string> {
    return fail(ErrorCode::kNotInstalled, "gnuplot: not found");
  });
  for (const auto& g : failing) {
    EXPECT_TRUE(g.svg.empty());
    EXPECT_FALSE(g.missing.empty()) << g.id;
  }
}

TEST(Html, IsSelfContainedAndHoldsEveryFigureAndTable) {
  const ReportData r = fixture_report();
  auto figs = report_figures(r);
  render_figures(figs, fake_svg);
  const auto tables = report_tables(r);
  const std::string html = html_report(r, figs, tables);
  for (const auto& f : figs) EXPECT_NE(html.find("id=\"plot-" + f.id + "\""), std::string::npos) << f.id;
  for (const auto& t : tables) EXPECT_NE(html.find("id=\"table-" + t.id + "\""), std::string::npos) << t.id;
  // Nothing fetched: no external scripts, styles, images or fonts.
  for (const char* bad : {"<link", " src=", "@import", "url(http"}) EXPECT_EQ(html.find(bad), std::string::npos) << bad;
  std::size_t pos = 0;
  while ((pos = html.find("http", pos)) != std::string::npos) {
    const std::string around = html.substr(pos, 40);
    EXPECT_EQ(around.rfind("http://www.w3.org/", 0), 0u) << around;  // only XML namespaces
    ++pos;
  }
  EXPECT_NE(html.find("The paper's headline results beside ours"), std::string::npos);
}

TEST(Html, EscapesNamesFromTheData) {
  ReportData r;
  model::Cell c;
  c.key = {"<script>x", "in&put", "native", cells::Mode::kWarm, cells::Io::kDirect, "cloud"};
  c.n = c.n_ok = 1;
  c.e2e_ns = {1000};
  c.e2e_median = c.e2e_p95 = 1000;
  r.cells = {c};
  const std::string html = html_report(r, {}, report_tables(r));
  EXPECT_EQ(html.find("<script>x"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;x"), std::string::npos);
}

TEST(Tables, MarkdownAndCsvQuoteTheirSeparators) {
  Table t{"t", "Title", "Caption", {"a", "b"}, {{"x|y", "1,5"}, {"say \"hi\"", "plain"}}};
  EXPECT_EQ(table_csv(t), "a,b\nx|y,\"1,5\"\n\"say \"\"hi\"\"\",plain\n");
  ReportData r;
  const std::string md = markdown_report(r, {t});
  EXPECT_NE(md.find("| x\\|y | 1,5 |"), std::string::npos) << md;
  EXPECT_NE(md.find("|---|---|"), std::string::npos);
}

TEST(Tables, ComparisonsStateTheCiSentence) {
  const auto tables = report_tables(fixture_report());
  auto it = std::find_if(tables.begin(), tables.end(), [](const Table& t) { return t.id == "comparisons"; });
  ASSERT_NE(it, tables.end());
  bool found = false;
  for (const auto& row : it->rows) {
    if (row[0] == "fibonacci/medium" && row[1] == "warm" && row[2] == "wasmedge-aot" && row[3] == "wasmedge-interp") {
      EXPECT_NE(row[4].find("wasmedge-aot is"), std::string::npos) << row[4];
      EXPECT_NE(row[4].find("faster than wasmedge-interp (99% CI)"), std::string::npos) << row[4];
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(Gnuplot, RendersARealFigureWhenInstalled) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "gnuplot is not installed (scripts/setup installs gnuplot-nox)";
  }
  std::vector<Figure> figs = report_figures(fixture_report(true, false));
  figs.resize(1);
  render_figures(figs, gnuplot_renderer(fs::temp_directory_path() / "lumos-report-test"));
  ASSERT_TRUE(figs[0].missing.empty()) << figs[0].missing;
  EXPECT_EQ(figs[0].svg.rfind("<svg", 0), 0u);
  EXPECT_NE(figs[0].svg.find("sandbox_start"), std::string::npos);
}

}  // namespace
}  // namespace lumos::report

namespace lumos::report {
namespace {

nlohmann::json manifest_with_artifacts() {
  return nlohmann::json::parse(R"({"environment": {"cpu_model": "synthetic", "cpus_online": 2, "kernel": "none"},
    "artifacts": {"fibonacci": {
      "native": {"compiler": "clang++-19", "version": "Debian clang version 19.1.7", "flags": ["-O2", "-static", "-stdlib=libc++"]},
      "native-gcc": {"compiler": "c++", "version": "c++ (Debian 12.2.0-14) 12.2.0", "flags": ["-O2", "-static"]},
      "wasm": {"compiler": "clang++-19", "version": "Debian clang version 19.1.7", "flags": ["--target=wasm32-wasi", "-O2"]},
      "wasm-aot": {"compiler": "wasmedge", "version": "wasmedge version 0.14.1", "flags": ["compile", "--optimize", "2"]}}}})");
}

const Table* find_table(const std::vector<Table>& ts, const std::string& id) {
  auto it = std::find_if(ts.begin(), ts.end(), [&](const Table& t) { return t.id == id; });
  return it == ts.end() ? nullptr : &*it;
}

TEST(Environment, ListsTheCompilerAndFlagsOfEveryArtifact) {
  ReportData r;
  r.data.manifest = manifest_with_artifacts();
  const auto tables = report_tables(r);
  const Table* env = find_table(tables, "environment");
  ASSERT_NE(env, nullptr);
  ASSERT_EQ(env->rows.size(), 4u);
  // Rows by kind (JSON object order): native, native-gcc, wasm, wasm-aot.
  EXPECT_EQ(env->rows[0],
            (std::vector<std::string>{"fibonacci", "native", "native, runc, crun, podman (container images)",
                                      "clang++-19", "Debian clang version 19.1.7", "-O2 -static -stdlib=libc++"}));
  EXPECT_EQ(env->rows[1][1], "native-gcc");
  EXPECT_EQ(env->rows[1][3], "c++");
  const std::string html = html_report(r, {}, tables);
  const auto section = html.find("<h2 id=\"environment\">");
  ASSERT_NE(section, std::string::npos);
  EXPECT_GT(html.find("id=\"table-environment\""), section);
}

TEST(Environment, PaperVsOursNamesTheCompilerOfEachSide) {
  ReportData r;
  r.data.manifest = manifest_with_artifacts();
  const auto tables = report_tables(r);
  const Table* t = find_table(tables, "paper-vs-ours");
  ASSERT_NE(t, nullptr);
  EXPECT_NE(t->caption.find("native and containers built by clang++-19: Debian clang version 19.1.7"),
            std::string::npos)
      << t->caption;
  EXPECT_NE(t->caption.find("native-gcc built by c++: c++ (Debian 12.2.0-14) 12.2.0"), std::string::npos);
  EXPECT_NE(t->caption.find("AoT built by wasmedge"), std::string::npos);
  const auto bare = report_tables(ReportData{});
  ASSERT_NE(find_table(bare, "paper-vs-ours"), nullptr);
  EXPECT_NE(find_table(bare, "paper-vs-ours")->caption.find("not recorded"), std::string::npos);
}

TEST(Environment, ComparesNativeGccWithTheSameCompilerNative) {
  ReportData r;
  for (const char* rt : {"native", "native-gcc"}) {
    model::Cell c;
    c.key = {"fibonacci", "medium", rt, cells::Mode::kWarm, cells::Io::kDirect, "cloud"};
    c.n = c.n_ok = 3;
    const double base = std::string(rt) == "native" ? 1000 : 500;
    c.e2e_ns = {base, base * 1.01, base * 0.99};
    c.e2e_median = c.e2e_p95 = base;
    r.cells.push_back(c);
  }
  const auto tables = report_tables(r);
  const Table* t = find_table(tables, "comparisons");
  ASSERT_NE(t, nullptr);
  bool found = false;
  for (const auto& row : t->rows) found = found || (row[2] == "native" && row[3] == "native-gcc");
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace lumos::report
