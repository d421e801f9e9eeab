// The HTML report page: gnuplot rendering (the only place gnuplot runs), inlined SVG, the
// page itself, Markdown and CSV forms of the tables.
#include "lumos/report/html_report.hpp"

#include "report_helpers.hpp"

namespace lumos::report {
namespace fs = std::filesystem;
using namespace page;

// ---- rendering --------------------------------------------------------------------------

SvgRenderer gnuplot_renderer(const fs::path& work_dir) {
  auto counter = std::make_shared<int>(0);  // file names per renderer, no global state
  return [work_dir, counter](const std::string& script) -> Result<std::string> {
    std::error_code ec;
    fs::create_directories(work_dir, ec);
    const int id = ++*counter;
    const fs::path gp = work_dir / fmt::format("plot-{}.gp", id);
    const fs::path svg = work_dir / fmt::format("plot-{}.svg", id);
    {
      std::ofstream o(gp);
      if (!(o << script)) return fail(ErrorCode::kIo, "cannot write " + gp.string());
    }
    auto out = run_command({"gnuplot", "-e", "set output '" + svg.string() + "'", gp.string()});
    if (!out) return tl::unexpected(out.error());
    if (out->exit_code != 0) {
      return fail(ErrorCode::kInternal,
                  "gnuplot failed (exit " + std::to_string(out->exit_code) + "): " + out->out.substr(0, 400));
    }
    std::string text = read_file_or_empty(svg);
    fs::remove(gp, ec);
    fs::remove(svg, ec);
    if (text.find("<svg") == std::string::npos)
      return fail(ErrorCode::kInternal, "gnuplot wrote no SVG: " + out->out.substr(0, 400));
    return text;
  };
}

namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
}

// SVG as an inline element: no XML prolog, ids prefixed so several plots can share a page.
std::string inline_svg(std::string svg, const std::string& prefix) {
  const auto start = svg.find("<svg");
  if (start != std::string::npos) svg.erase(0, start);
  replace_all(svg, "id='gp", "id='" + prefix + "gp");
  replace_all(svg, "href='#gp", "href='#" + prefix + "gp");
  replace_all(svg, "id=\"gnuplot_", "id=\"" + prefix + "gnuplot_");
  replace_all(svg, "url(#gp", "url(#" + prefix + "gp");
  return svg;
}

}  // namespace

void render_figures(std::vector<Figure>& figures, const SvgRenderer& render) {
  for (auto& f : figures) {
    if (f.script.empty()) continue;
    auto svg = render(f.script);
    if (!svg) {
      f.missing = "the plot could not be drawn: " + svg.error().to_string();
      continue;
    }
    f.svg = inline_svg(std::move(*svg), f.id + "-");
  }
}

// ---- pages ------------------------------------------------------------------------------

namespace {

std::string html_table(const Table& t) {
  std::string out = fmt::format("<section class=\"table\" id=\"table-{}\"><h3>{}</h3><p class=\"caption\">{}</p>\n",
                                t.id, html_escape(t.title), html_escape(t.caption));
  if (t.rows.empty())
    return out + "<p class=\"missing\">No rows: the results hold no data for this table.</p></section>\n";
  out += "<div class=\"scroll\"><table><thead><tr>";
  for (const auto& h : t.header) out += "<th>" + html_escape(h) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (const auto& c : row) out += "<td>" + html_escape(c) + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody></table></div></section>\n";
}

std::string html_figure(const Figure& f) {
  std::string out = fmt::format("<figure class=\"plot\" id=\"plot-{}\" data-has-data=\"{}\"><h3>{}</h3>\n", f.id,
                                f.svg.empty() ? "false" : "true", html_escape(f.title));
  if (!f.svg.empty()) {
    out += f.svg + "\n";
  } else {
    out += "<div class=\"missing\"><strong>Data missing.</strong> " + html_escape(f.missing) + "</div>\n";
  }
  return out + "<figcaption>" + html_escape(f.caption) + "</figcaption></figure>\n";
}

constexpr const char* kCss =
    R"(body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;max-width:1250px;color:#222;padding:0 1em}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
.meta{color:#555;font-size:.9em}figure.plot{margin:1.5em 0;padding:.5em;border:1px solid #e4e4e4;border-radius:4px}
figure.plot svg{max-width:100%;height:auto}figcaption,.caption{color:#555;font-size:.9em}
.missing{background:#fff6e5;border:1px solid #f0c36d;padding:1em;border-radius:4px}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.scroll{overflow-x:auto;max-height:40em;overflow-y:auto}nav a{margin-right:1em})";

// Checks that every figure has its SVG or a missing-data note, for people and the browser test.
constexpr const char* kScript = R"(document.addEventListener('DOMContentLoaded',function(){
var figs=document.querySelectorAll('figure.plot'),drawn=0,missing=0;
figs.forEach(function(f){var s=f.querySelector('svg'),b=s&&s.getBoundingClientRect();
if(b&&b.width>0&&b.height>0){drawn++;}else if(!s&&f.querySelector('.missing')){missing++;}});
document.body.setAttribute('data-plots-drawn',String(drawn));
document.body.setAttribute('data-plots-missing',String(missing));
document.body.setAttribute('data-report-ok',String(drawn+missing===figs.length));});)";

}  // namespace

std::string html_report(const ReportData& r, const std::vector<Figure>& figures, const std::vector<Table>& tables) {
  std::string dirs;
  for (const auto& d : r.results_dirs) dirs += (dirs.empty() ? "" : ", ") + d;
  std::size_t n = r.data.records.size();
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                    html_escape(r.title) + "</title>\n<style>" + kCss + "</style>\n<script>" + kScript +
                    "</script>\n</head><body>\n";
  out += "<h1>" + html_escape(r.title) + "</h1>\n";
  std::string env;
  if (r.data.manifest.is_object() && r.data.manifest.contains("environment")) {
    const auto& e = r.data.manifest["environment"];
    env = fmt::format("{}, {} CPUs, {}", e.value("cpu_model", "?"), e.value("cpus_online", 0), e.value("kernel", "?"));
  }
  out += fmt::format(
      "<p class=\"meta\">Results: {} &middot; {} invocations ({} failed, {} contaminated and excluded) in {} cells"
      "{}</p>\n",
      html_escape(dirs), n, r.data.failed, r.data.contaminated, r.cells.size(),
      env.empty() ? "" : " &middot; " + html_escape(env));
  out +=
      "<nav><a href=\"#paper\">Paper vs ours</a><a href=\"#plots\">Plots</a><a href=\"#model\">Model</a>"
      "<a href=\"#tables\">Tables</a><a href=\"#environment\">Environment</a></nav>\n";
  const auto table_by_id = [&](const std::string& id) -> const Table* {
    for (const auto& t : tables) {
      if (t.id == id) return &t;
    }
    return nullptr;
  };
  out += "<h2 id=\"paper\">The paper's headline results beside ours</h2>\n";
  if (const Table* t = table_by_id("paper-vs-ours")) out += html_table(*t);
  out += "<h2 id=\"plots\">Plots</h2>\n";
  for (const auto& f : figures) {
    if (f.id != "model-fit") out += html_figure(f);
  }
  out += "<h2 id=\"model\">Performance model</h2>\n";
  for (const auto& f : figures) {
    if (f.id == "model-fit") out += html_figure(f);
  }
  for (const char* id : {"model-validation", "model-coefficients", "model-decisions"}) {
    if (const Table* t = table_by_id(id)) out += html_table(*t);
  }
  out += "<h2 id=\"tables\">Tables</h2>\n";
  for (const auto& t : tables) {
    if (t.id != "paper-vs-ours" && t.id != "environment" && t.id.rfind("model-", 0) != 0) out += html_table(t);
  }
  out += "<h2 id=\"environment\">Environment</h2>\n";
  out += "<p class=\"meta\">" + (env.empty() ? std::string("Host not recorded.") : html_escape(env)) + "</p>\n";
  if (const Table* t = table_by_id("environment")) out += html_table(*t);
  out +=
      "<p class=\"meta\">Written by lumos report. Tables are also in the Markdown and CSV files beside this "
      "page.</p>\n";
  return out + "</body></html>\n";
}

std::string markdown_report(const ReportData& r, const std::vector<Table>& tables) {
  std::string dirs;
  for (const auto& d : r.results_dirs) dirs += (dirs.empty() ? "" : ", ") + d;
  std::string out = "# " + r.title + "\n\nResults: " + dirs + "\n";
  for (const auto& t : tables) {
    out += "\n## " + t.title + "\n\n" + t.caption + "\n\n";
    if (t.rows.empty()) {
      out += "(no rows)\n";
      continue;
    }
    out += "|";
    for (const auto& h : t.header) out += fmt::format(" {} |", md_cell(h));
    out += "\n|";
    for (std::size_t i = 0; i < t.header.size(); ++i) out += "---|";
    out += "\n";
    for (const auto& row : t.rows) {
      out += "|";
      for (const auto& c : row) out += fmt::format(" {} |", md_cell(c));
      out += "\n";
    }
  }
  return out;
}

std::string table_csv(const Table& t) {
  std::string out;
  for (std::size_t i = 0; i < t.header.size(); ++i)
    out += fmt::format("{}{}", i ? "," : "", text::csv_field(t.header[i]));
  out += "\n";
  for (const auto& row : t.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) out += fmt::format("{}{}", i ? "," : "", text::csv_field(row[i]));
    out += "\n";
  }
  return out;
}

}  // namespace lumos::report
