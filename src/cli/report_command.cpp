// `lumos report DIR... -o report.html`: one self-contained HTML report plus Markdown and CSV tables.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "lumos/common/files.hpp"
#include "lumos/model/model.hpp"
#include "lumos/report/html_report.hpp"
#include "subcommands.hpp"

namespace lumos::cli {
namespace fs = std::filesystem;
namespace {

struct ReportFlags {
  std::vector<fs::path> dirs;
  fs::path out;
  fs::path images;
  fs::path model_file;
  fs::path artifacts = default_artifacts_dir();
  std::string title;
  bool no_model = false;
};

int run_report(const ReportFlags& f) {
  report::ReportData r;
  model::LoadOptions opts;
  if (!f.images.empty()) opts.images_json = f.images;
  if (!f.artifacts.empty()) opts.artifacts_dir = f.artifacts;
  auto data = model::load_datasets(f.dirs, opts);
  if (!data) return report_error(data.error());
  if (data->torn_lines > 0) {
    std::fprintf(stderr,
                 "lumos: %zu results file(s) end in a torn line (a run killed mid-write), skipped; "
                 "`lumos run --resume DIR` completes such a run\n",
                 data->torn_lines);
  }
  r.data = std::move(*data);
  for (const auto& d : f.dirs) r.results_dirs.push_back(d.string());
  r.title = f.title.empty() ? "Lumos report: " + f.dirs.front().filename().string() : f.title;
  r.cells = cells::group(r.data.records);

  // Image sizes: --images, else DIR/images.json.
  fs::path images = f.images;
  if (images.empty()) {
    for (const auto& d : f.dirs) {
      if (fs::exists(d / "images.json")) {
        images = d / "images.json";
        break;
      }
    }
  }
  if (!images.empty()) {
    auto sizes = model::read_image_sizes(images);
    if (!sizes) return report_error(sizes.error());
    r.images = std::move(*sizes);
    r.images_source = images.string();
  }

  // The model: --model FILE, else fitted here (with the held-out validation).
  if (!f.model_file.empty()) {
    std::ifstream in(f.model_file);
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    auto m = model::model_from_json(j);  // with its held-out validation points, for the report
    if (!m) return report_error(m.error());
    r.model = std::move(*m);
  } else if (!f.no_model) {
    std::printf("Fitting the model and validating it on held-out configurations...\n");
    std::fflush(stdout);
    auto m = model::fit(r.cells, r.data);
    if (m) {
      m->validations.push_back(model::validate(r.cells, r.data, model::Holdout::kConfiguration));
      r.model = std::move(*m);
    } else {
      r.model_note = m.error().message;
    }
  } else {
    r.model_note = "--no-model was given";
  }

  auto figures = report::report_figures(r);
  const fs::path out = f.out.empty() ? f.dirs.front() / "report.html" : f.out;
  const fs::path work = fs::temp_directory_path() / fmt::format("lumos-report-{}", ::getpid());
  report::render_figures(figures, report::gnuplot_renderer(work));
  std::error_code ec;
  fs::remove_all(work, ec);
  const auto tables = report::report_tables(r);

  if (!out.parent_path().empty()) fs::create_directories(out.parent_path(), ec);
  if (auto w = write_file(out, report::html_report(r, figures, tables), "report"); !w) return report_error(w.error());
  fs::path md = out;
  md.replace_extension(".md");
  if (auto w = write_file(md, report::markdown_report(r, tables), "report"); !w) return report_error(w.error());
  std::vector<std::string> csvs;
  for (const auto& t : tables) {
    fs::path csv = out.parent_path() / (out.stem().string() + "-" + t.id + ".csv");
    if (auto w = write_file(csv, report::table_csv(t), "report table"); !w) return report_error(w.error());
    csvs.push_back(csv.filename().string());
  }
  std::size_t drawn = 0;
  for (const auto& fig : figures) {
    if (!fig.svg.empty()) {
      ++drawn;
    } else {
      std::printf("  plot '%s': %s\n", fig.title.c_str(), fig.missing.c_str());
    }
  }
  for (const auto& h : report::headline_ratios(r)) {
    std::printf("  %-62s paper %-22s ours %s\n", h.claim.c_str(), h.paper.c_str(), h.ours.c_str());
  }
  std::printf("Report: %s (%zu of %zu plots drawn); tables: %s and %zu CSV files beside it\n", out.c_str(), drawn,
              figures.size(), md.filename().c_str(), csvs.size());
  return 0;
}

}  // namespace

Subcommand add_report_command(CLI::App& parent) {
  auto flags = std::make_shared<ReportFlags>();
  Subcommand sub;
  sub.app = parent.add_subcommand("report", "Write one self-contained HTML report (plus Markdown and CSV tables)");
  sub.app->add_option("dirs", flags->dirs, "Results folders (each holds invocations.jsonl)")
      ->required()
      ->check(CLI::ExistingDirectory);
  sub.app->add_option("--out,-o", flags->out, "HTML file (default DIR/report.html); tables go beside it");
  sub.app->add_option("--images", flags->images, "Image sizes JSON (`lumos images --json`); default DIR/images.json")
      ->check(CLI::ExistingFile);
  sub.app->add_option("--model,-m", flags->model_file, "Use this model.json instead of fitting one")
      ->check(CLI::ExistingFile);
  sub.app->add_option("--artifacts", flags->artifacts, "Artifacts folder (module sizes for the model)")
      ->capture_default_str();
  sub.app->add_option("--title", flags->title, "Page title");
  sub.app->add_flag("--no-model", flags->no_model, "Do not fit the model (faster; no fit-vs-measured plot)");
  sub.run = [flags] { return run_report(*flags); };
  return sub;
}

}  // namespace lumos::cli
