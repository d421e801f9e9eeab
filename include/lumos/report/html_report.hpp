// One self-contained HTML report of a results folder: plots (gnuplot SVG, inlined), tables
// (also as Markdown and CSV), the paper's headline ratios beside ours, and the model's fit.
//
// Building figures and tables is pure (data -> gnuplot scripts and strings); only the
// SvgRenderer runs a program, so tests inject a fake renderer.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lumos/common/result.hpp"
#include "lumos/model/dataset.hpp"
#include "lumos/model/model.hpp"

namespace lumos::report {

/// Everything a report is made from.
struct ReportData {
  std::string title = "Lumos report";
  std::vector<std::string> results_dirs;
  model::Dataset data;
  std::vector<model::Cell> cells;        ///< cells::group(data.records)
  std::optional<model::Model> model;     ///< fitted, with validations (fit vs measured)
  std::string model_note;                ///< why there is no model, if none
  std::vector<model::ImageSize> images;  ///< image sizes (`lumos images --json`)
  std::string images_source;             ///< where they came from ("" if none)
};

/// A table: rendered into the HTML, the Markdown file and one CSV file.
struct Table {
  std::string id;  ///< file-name safe: the CSV is <report>-<id>.csv
  std::string title;
  std::string caption;  ///< one or two sentences under the title
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

/// A plot. `script` is gnuplot commands without terminal/output lines (the renderer adds
/// them); empty when the data is missing, and then `missing` says what is missing and how to
/// get it. After rendering, `svg` holds the inline SVG (no XML prolog).
struct Figure {
  std::string id;  ///< HTML id, "plot-<id>"
  std::string title;
  std::string caption;
  std::string script;
  std::string missing;
  std::string svg;
};

/// One of the paper's headline claims beside our number.
struct HeadlineRatio {
  std::string claim;     ///< the paper's words
  std::string paper;     ///< "up to 30x", "30x-55x"
  std::string ours;      ///< "up to 12.4x (range 3.1x-12.4x)", or "no data: ..."
  std::string baseline;  ///< what we divided by
  std::string cells;     ///< the cells the extremes come from
  bool has_data = false;
};

/// The ratios of PAPER.md from the data: AoT vs container image size, AoT vs container
/// cold start (lumos-wasm-host vs runc, and on the crun path: crun-wasmedge-aot vs crun),
/// interpreter vs AoT warm latency, interpreter vs native I/O-serialization time.
std::vector<HeadlineRatio> headline_ratios(const ReportData& r);

/// Tables: headline ratios, runtime comparisons (speed ratio with 99% CI), cold-start phases,
/// I/O-serialization, model validation (MAPE per runtime), per-cell summary, and the compiler
/// and flags of every artifact from the manifest (id "environment").
std::vector<Table> report_tables(const ReportData& r);

/// Figures: cold-start phases by runtime (stacked), warm latency by function and runtime (log),
/// image sizes, I/O-serialization breakdown, throughput and p95 vs concurrency, latency CDFs,
/// model fit vs measured. A figure without data has an empty script and a `missing` reason.
std::vector<Figure> report_figures(const ReportData& r);

/// Turns a gnuplot script into SVG text.
using SvgRenderer = std::function<Result<std::string>(const std::string& script)>;

/// Runs `gnuplot` (from PATH) with an svg terminal, using `work_dir` for temporary files.
/// Fails with kNotInstalled when gnuplot is missing (scripts/setup installs gnuplot-nox).
SvgRenderer gnuplot_renderer(const std::filesystem::path& work_dir);

/// Renders every figure that has a script; a failed render becomes a `missing` reason naming
/// the error (the report is still written).
void render_figures(std::vector<Figure>& figures, const SvgRenderer& render);

/// The self-contained HTML page (inline CSS and SVG; no external resource).
std::string html_report(const ReportData& r, const std::vector<Figure>& figures, const std::vector<Table>& tables);

/// All tables as one Markdown document.
std::string markdown_report(const ReportData& r, const std::vector<Table>& tables);

/// One table as CSV (RFC 4180, '\n' line ends).
std::string table_csv(const Table& t);

}  // namespace lumos::report
