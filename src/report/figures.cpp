// The report's figures as gnuplot scripts (a figure without data says what is missing).
#include "lumos/report/html_report.hpp"

#include "report_helpers.hpp"

namespace lumos::report {
namespace fs = std::filesystem;
using namespace page;

// ---- figures ----------------------------------------------------------------------------

namespace {

Figure cold_phases_figure(const ReportData& r) {
  Figure f{"cold-start",
           "Cold-start phases by runtime",
           "Median of each phase over all functions' cold cells (direct input), stacked; the bar is the typical cold "
           "end-to-end time.",
           "",
           "",
           ""};
  std::map<std::string, std::map<std::string, std::vector<double>>> v;  // runtime -> phase -> cell medians
  for (const auto& c : r.cells) {
    if (!base_cell(c) || c.key.mode != cells::Mode::kCold || c.key.io != cells::Io::kDirect) continue;
    for (auto p : kColdBarPhases) {
      auto it = c.phase_median.find(std::string(p));
      v[c.key.runtime][std::string(p)].push_back(it == c.phase_median.end() ? 0.0 : it->second);
    }
  }
  if (v.empty()) {
    f.missing = "no cold cells in the results (run an experiment with modes: [cold])";
    return f;
  }
  std::string data = "$d << EOD\nruntime";
  for (auto p : kColdBarPhases) data += " " + std::string(p);
  data += "\n";
  std::set<std::string> rts;
  for (const auto& [rt, x] : v) rts.insert(rt);
  for (const auto& rt : sorted_runtimes(rts)) {
    data += gq(rt);
    for (auto p : kColdBarPhases) data += fmt::format(" {}", num(stats::median(v[rt][std::string(p)]) / 1e6));
    data += "\n";
  }
  data += "EOD\n";
  f.script =
      terminal(900, 440) + data +
      "set style data histograms\nset style histogram rowstacked\nset style fill solid 0.9 border rgb '#333333'\n"
      "set boxwidth 0.6\nset ylabel 'median time (ms)'\nset key outside right top\nset yrange [0:*]\n"
      "set title 'Cold-start phases by runtime (median over functions)'\n"
      "plot for [i=2:" +
      std::to_string(kStartPhases.size() + 1) + "] $d using i:xtic(1) title columnheader(i)\n";
  return f;
}

Figure warm_latency_figure(const ReportData& r) {
  Figure f{"warm-latency",
           "Warm latency by function and runtime (log scale)",
           "Median warm end-to-end latency, direct input, one input per function (the one measured on most runtimes).",
           "",
           "",
           ""};
  const Index ix = make_index(r.cells);
  const auto reps = representative_inputs(r.cells);
  const auto rts = sorted_runtimes(runtimes_of(r.cells));
  if (reps.empty()) {
    f.missing = "no warm cells with direct input (run an experiment with modes: [warm])";
    return f;
  }
  std::string data = "$d << EOD\nfunction";
  for (const auto& rt : rts) data += fmt::format(" {}", gq(rt));
  data += "\n";
  for (const auto& [fn, in] : reps) {
    data += gq(fn + "/" + in);
    for (const auto& rt : rts) {
      const Cell* c = ix.get(fn, in, rt, "warm");
      data += fmt::format(" {}", num(c ? c->e2e_median / 1e6 : NAN));
    }
    data += "\n";
  }
  data += "EOD\n";
  std::string colors;
  for (std::size_t k = 0; k < rts.size(); ++k)
    colors += fmt::format("set linetype {} lc rgb '{}'\n", k + 1, color_of(rts[k]));
  const int width = std::max(900, static_cast<int>(reps.size() * rts.size() * 16 + 200));
  f.script =
      terminal(width, 480) + colors + data +
      "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.9 border rgb '#333333'\n"
      "set logscale y\nset ylabel 'median warm latency (ms, log)'\nset xtics rotate by -30\nset key outside right top\n"
      "set title 'Warm latency by function and runtime'\n"
      "plot for [i=2:" +
      std::to_string(rts.size() + 1) + "] $d using i:xtic(1) title columnheader(i)\n";
  return f;
}

Figure image_size_figure(const ReportData& r) {
  Figure f{"image-sizes",
           "Image sizes (pulled bytes, log scale)",
           "What a node must pull to start each function, per image flavour; from " +
               (r.images_source.empty() ? std::string("(none)") : r.images_source) + ".",
           "",
           "",
           ""};
  if (r.images.empty()) {
    f.missing =
        "image size data is missing: no images.json in the results folder and no --images FILE "
        "(make one with `lumos images --json DIR/images.json`)";
    return f;
  }
  std::map<std::string, std::map<std::string, double>> sizes;
  std::set<std::string> flavours;
  for (const auto& s : r.images) {
    sizes[s.function][s.flavour] = static_cast<double>(s.pulled_bytes);
    flavours.insert(s.flavour);
  }
  std::vector<std::string> order;
  for (const char* fl : {"container-debian", "container-scratch", "wasm", "wasm-aot"}) {
    if (flavours.count(fl)) order.emplace_back(fl);
  }
  for (const auto& fl : flavours) {
    if (std::find(order.begin(), order.end(), fl) == order.end()) order.push_back(fl);
  }
  std::string data = "$d << EOD\nfunction";
  for (const auto& fl : order) data += fmt::format(" {}", gq(fl));
  data += "\n";
  for (const auto& [fn, m] : sizes) {
    data += gq(fn);
    for (const auto& fl : order) data += fmt::format(" {}", num(m.count(fl) ? m.at(fl) / (1024.0 * 1024.0) : NAN));
    data += "\n";
  }
  data += "EOD\n";
  f.script =
      terminal(std::max(900, static_cast<int>(sizes.size() * order.size() * 16 + 200)), 460) + data +
      "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.9 border rgb '#333333'\n"
      "set logscale y\nset ylabel 'pulled size (MiB, log)'\nset xtics rotate by -30\nset key outside right top\n"
      "set title 'Image sizes by function and flavour'\n"
      "plot for [i=2:" +
      std::to_string(order.size() + 1) + "] $d using i:xtic(1) title columnheader(i)\n";
  return f;
}

Figure io_figure(const ReportData& r) {
  Figure f{"io-serialization",
           "I/O-serialization breakdown",
           "Left: median over functions of each I/O and (de)serialization phase per warm request, stacked by runtime "
           "(BaaS cells "
           "where measured, else direct). Right: the total per function and runtime (log scale).",
           "",
           "",
           ""};
  bool any_baas = false;
  for (const auto& c : r.cells)
    any_baas = any_baas || (base_cell(c) && c.key.io == cells::Io::kBaas && c.key.mode == cells::Mode::kWarm);
  const std::string io = any_baas ? "baas" : "direct";
  std::map<std::string, std::map<std::string, std::vector<double>>> v;
  std::map<std::string, std::map<std::string, double>> totals;  // "f/i" -> runtime -> total
  for (const auto& c : r.cells) {
    if (!base_cell(c) || c.key.mode != cells::Mode::kWarm || telemetry::to_string(c.key.io) != io) continue;
    for (auto p : kIoPhases) {
      auto it = c.phase_median.find(std::string(p));
      v[c.key.runtime][std::string(p)].push_back(it == c.phase_median.end() ? 0.0 : it->second);
    }
    totals[c.key.function + "/" + c.key.input][c.key.runtime] = io_serde(c);
  }
  if (v.empty()) {
    f.missing = "no warm cells with serialization phases";
    return f;
  }
  std::set<std::string> rts_set;
  for (const auto& [rt, x] : v) rts_set.insert(rt);
  const auto rts = sorted_runtimes(rts_set);
  std::string data = "$d << EOD\nruntime";
  for (auto p : kIoPhases) data += " " + std::string(p);
  data += "\n";
  for (const auto& rt : rts) {
    data += gq(rt);
    for (auto p : kIoPhases) data += fmt::format(" {}", num(stats::median(v[rt][std::string(p)]) / 1e3));
    data += "\n";
  }
  data += "EOD\n$t << EOD\nfunction";
  for (const auto& rt : rts) data += fmt::format(" {}", gq(rt));
  data += "\n";
  for (const auto& [fi, m] : totals) {
    data += gq(fi);
    for (const auto& rt : rts) data += fmt::format(" {}", num(m.count(rt) && m.at(rt) > 0 ? m.at(rt) / 1e3 : NAN));
    data += "\n";
  }
  data += "EOD\n";
  std::string colors;
  for (std::size_t k = 0; k < rts.size(); ++k)
    colors += fmt::format("set linetype {} lc rgb '{}'\n", k + 11, color_of(rts[k]));
  f.script =
      terminal(1200, 480) + colors + data +
      "set multiplot layout 1,2\nset style data histograms\nset style fill solid 0.9 border rgb '#333333'\n"
      "set style histogram rowstacked\nset boxwidth 0.6\nset ylabel 'median per request (us)'\nset yrange [0:*]\n"
      "set key top left\nset title 'Breakdown (" +
      io +
      " input, median over functions)'\n"
      "plot for [i=2:5] $d using i:xtic(1) title columnheader(i)\n"
      "set style histogram clustered gap 1\nset logscale y\nset yrange [*:*]\nset xtics rotate by -40 font ',8'\n"
      "set ylabel 'I/O + serialization per request (us, log)'\nset title 'Total by function and runtime'\n"
      "set key top left font ',9'\n"
      "plot for [i=2:" +
      std::to_string(rts.size() + 1) +
      "] $t using i:xtic(1) title columnheader(i) lt (i+9)\n"
      "unset multiplot\n";
  return f;
}

std::vector<Figure> concurrency_figures(const ReportData& r) {
  // Series: function/input/io/profile -> runtime -> N -> the level's cell
  std::map<std::string, std::map<std::string, std::map<int, const Cell*>>> series;
  for (const auto& c : r.cells) {
    if (c.n_ok == 0 || c.key.load != cells::LoadKind::kClosed) continue;
    series[c.key.function + "/" + c.key.input + (c.key.io == cells::Io::kBaas ? "@baas" : "") +
           (c.key.profile != "cloud" ? " " + c.key.profile : "")][c.key.runtime][c.key.concurrency()] = &c;
  }
  if (series.empty()) {
    Figure f{"concurrency",
             "Throughput and p95 latency vs concurrency",
             "Closed-loop load levels, per runtime.",
             "",
             "",
             ""};
    f.missing =
        "no concurrency data: the results hold no closed-loop load levels (run an experiment with a "
        "closed-loop load, e.g. concurrency [1, 2, 4, 8, 16])";
    return {f};
  }
  std::vector<Figure> out;
  std::size_t k = 0;
  for (const auto& [name, by_rt] : series) {
    if (++k > 6) break;  // keep the page readable; the CSV has every level
    Figure f{fmt::format("concurrency-{}", k),
             "Throughput and p95 latency vs concurrency: " + name,
             "Closed-loop levels: completed requests per second over the level's wall time, and the 95th percentile of "
             "latency (both log scale). Dashed: the model's prediction (USL or bounds, with the level's share of cold "
             "starts).",
             "",
             "",
             ""};
    std::string data, plot_x = "plot ", plot_p = "plot ";
    std::set<std::string> rts_set;
    for (const auto& [rt, m] : by_rt) rts_set.insert(rt);
    std::size_t j = 0;
    for (const auto& rt : sorted_runtimes(rts_set)) {
      const auto& levels = by_rt.at(rt);
      data += fmt::format("$r{} << EOD\n", j);
      for (const auto& [n, c] : levels)
        data += fmt::format("{} {} {}\n", n, num(c->throughput_rps), num(c->e2e_p95 / 1e6));
      data += "EOD\n";
      plot_x += fmt::format("{}$r{} using 1:2 with linespoints lw 2 pt 7 lc rgb '{}' title {}", j ? ", " : "", j,
                            color_of(rt), gq(rt));
      plot_p += fmt::format("{}$r{} using 1:3 with linespoints lw 2 pt 7 lc rgb '{}' title {}", j ? ", " : "", j,
                            color_of(rt), gq(rt));
      // Model curve for this series (warm, same io/profile, the level's cold starts) when a model exists.
      if (r.model) {
        data += fmt::format("$m{} << EOD\n", j);
        bool any = false;
        for (const auto& [n, c] : levels) {
          if (auto p = model::predict(*r.model, model::query_of(*c))) {
            data += fmt::format("{} {} {}\n", n, num(p->throughput_rps), num(p->p95_ns / 1e6));
            any = true;
          }
        }
        data += "EOD\n";
        if (any) {
          plot_x += fmt::format(", $m{} using 1:2 with lines dt 2 lc rgb '{}' notitle", j, color_of(rt));
          plot_p += fmt::format(", $m{} using 1:3 with lines dt 2 lc rgb '{}' notitle", j, color_of(rt));
        }
      }
      ++j;
    }
    f.script = terminal(1100, 420) + data +
               "set multiplot layout 1,2\nset logscale x 2\nset logscale y\nset xlabel 'concurrency (clients)'\n"
               "set key top left font ',9'\nset ylabel 'throughput (requests/s, log)'\nset title 'Throughput'\n" +
               plot_x + "\nset ylabel 'p95 latency (ms, log)'\nset title 'p95 latency'\n" + plot_p +
               "\nunset multiplot\n";
    out.push_back(std::move(f));
  }
  return out;
}

Figure cdf_figure(const ReportData& r) {
  Figure f{"latency-cdf",
           "Latency CDFs (warm, direct input)",
           "Empirical distribution of warm end-to-end latency per runtime, one panel per function (log x).",
           "",
           "",
           ""};
  const Index ix = make_index(r.cells);
  const auto reps = representative_inputs(r.cells);
  if (reps.empty()) {
    f.missing = "no warm cells with direct input";
    return f;
  }
  const auto rts = sorted_runtimes(runtimes_of(r.cells));
  const std::size_t cols = 3, rows = (reps.size() + cols - 1) / cols;
  std::string data, plots;
  std::size_t b = 0;
  for (const auto& [fn, in] : reps) {
    std::string plot;
    for (const auto& rt : rts) {
      const Cell* c = ix.get(fn, in, rt, "warm");
      if (!c) continue;
      std::vector<double> xs = c->e2e_ns;
      std::sort(xs.begin(), xs.end());
      data += fmt::format("$c{} << EOD\n", b);
      for (std::size_t k = 0; k < xs.size(); ++k) {
        data +=
            fmt::format("{} {}\n", num(xs[k] / 1e6), num(static_cast<double>(k + 1) / static_cast<double>(xs.size())));
      }
      data += "EOD\n";
      plot += fmt::format("{}$c{} using 1:2 with steps lw 2 lc rgb '{}' title {}", plot.empty() ? "plot " : ", ", b,
                          color_of(rt), gq(rt));
      ++b;
    }
    plots += "set title " + gq(fn + "/" + in) + "\n" + plot + "\n";
  }
  f.script = terminal(1200, static_cast<int>(rows) * 300 + 40) + data +
             fmt::format("set multiplot layout {},{}\n", rows, cols) +
             "set logscale x\nset xlabel 'warm latency (ms, log)'\nset ylabel 'fraction'\nset yrange [0:1.02]\n"
             "set key bottom right font ',8'\n" +
             plots + "unset multiplot\n";
  return f;
}

Figure fit_figure(const ReportData& r) {
  Figure f{
      "model-fit",
      "Model fit vs measured (held-out)",
      "Each point is a cell whose configuration (function x input x runtime) was left out of the fit; the model's p50 "
      "against the measured median. Dotted: +-20%.",
      "",
      "",
      ""};
  if (!r.model || r.model->validations.empty() || r.model->validations.front().points.empty()) {
    f.missing =
        "no model validation: " + (r.model_note.empty() ? std::string("the model could not be fitted") : r.model_note);
    return f;
  }
  const auto& v = r.model->validations.front();
  std::map<std::string, std::vector<const model::HeldOut*>> by_rt;
  for (const auto& h : v.points) by_rt[h.key.runtime].push_back(&h);
  std::set<std::string> rts_set;
  for (const auto& [rt, x] : by_rt) rts_set.insert(rt);
  std::string data,
      plot =
          "plot x with lines lc rgb '#444444' title 'predicted = measured', 1.2*x with lines dt 3 lc rgb '#888888' "
          "notitle, 0.8*x with lines dt 3 lc rgb '#888888' notitle";
  std::size_t j = 0;
  double lo = INFINITY, hi = 0;
  for (const auto& rt : sorted_runtimes(rts_set)) {
    data += fmt::format("$p{} << EOD\n", j);
    for (const auto* h : by_rt[rt]) {
      data += fmt::format("{} {}\n", num(h->measured_ns / 1e6), num(h->predicted_ns / 1e6));
      lo = std::min({lo, h->measured_ns / 1e6, h->predicted_ns / 1e6});
      hi = std::max({hi, h->measured_ns / 1e6, h->predicted_ns / 1e6});
    }
    data += "EOD\n";
    auto it = v.mape_by_runtime.find(rt);
    plot +=
        fmt::format(", $p{} using 1:2 with points pt 7 ps 0.6 lc rgb '{}' title {}", j, color_of(rt),
                    gq(fmt::format("{} (MAPE {:.0f}%)", rt, it == v.mape_by_runtime.end() ? NAN : it->second * 100)));
    ++j;
  }
  f.script =
      terminal(760, 640) + data + "set logscale xy\nset size square\n" +
      fmt::format("set xrange [{}:{}]\nset yrange [{}:{}]\n", num(lo / 1.5), num(hi * 1.5), num(lo / 1.5),
                  num(hi * 1.5)) +
      "set xlabel 'measured median (ms, log)'\nset ylabel 'predicted p50 (ms, log)'\nset key top left font ',9'\n"
      "set title 'Held-out predictions vs measurements'\n" +
      plot + "\n";
  return f;
}

}  // namespace

std::vector<Figure> report_figures(const ReportData& r) {
  std::vector<Figure> out = {cold_phases_figure(r), start_levels_figure(r), warm_latency_figure(r),
                             image_size_figure(r), io_figure(r)};
  for (auto& f : concurrency_figures(r)) out.push_back(std::move(f));
  out.push_back(cdf_figure(r));
  out.push_back(fit_figure(r));
  return out;
}

}  // namespace lumos::report
