#include "edge/load_charts.hpp"

#include <algorithm>
#include <cstdio>

#include "actors/node.hpp"
#include "protocol/json_writer.hpp"

namespace broker::edge {

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

constexpr size_t chart_slots = 90;

} // namespace

load_figures::load_figures(int slot_seconds) {
  int64_t slot_ns = int64_t{slot_seconds} * 1'000'000'000;
  requests = std::make_shared<request_metrics>(std::function<int64_t()>{}, request_slots{slot_ns, chart_slots});
  rates = std::make_shared<rate_history>(std::function<int64_t()>{}, slot_ns, chart_slots);
}

void observe_node_counters(const node& n, rate_history& rates) {
  rates.observe("quotePushes", n.counters().quote_pushes.load());
  rates.observe("ticksIngested", n.counters().ticks_ingested.load());
  if (auto t = n.commit_times())
    rates.observe("storeCommits", t->read().commits);
  rates.observe("actorMessages", n.census()->messages_total());
}

std::string render_load_charts(const load_figures& figures, size_t max_endpoints) {
  auto view = figures.requests->history();
  double slot_s = static_cast<double>(view.slot_ns) / 1e9;
  auto in_window = [](const request_metrics::endpoint_figures& f) {
    uint64_t n = 0;
    for (auto& h : f.slots)
      n += h.count;
    return n;
  };
  std::stable_sort(view.endpoints.begin(), view.endpoints.end(),
                   [&](auto& a, auto& b) { return in_window(a) > in_window(b); });
  if (view.endpoints.size() > max_endpoints)
    view.endpoints.resize(max_endpoints);
  size_t slots = figures.requests->settings().slots;
  json_writer w;
  w.begin_object().key("slotSeconds").raw(number(slot_s)).field("slots", static_cast<int64_t>(slots));
  w.key("endpoints").begin_array();
  for (auto& f : view.endpoints) {
    w.begin_object()
      .field("method", f.method)
      .field("endpoint", f.endpoint)
      .field("requests", static_cast<int64_t>(f.since_start.count));
    w.key("perSecond").begin_array();
    for (auto& h : f.slots)
      w.raw(number(static_cast<double>(h.count) / slot_s));
    w.end_array().key("p50Ms").begin_array();
    for (auto& h : f.slots)
      w.raw(number(h.quantile(0.5) * 1e3));
    w.end_array().key("p99Ms").begin_array();
    for (auto& h : f.slots)
      w.raw(number(h.quantile(0.99) * 1e3));
    w.end_array().key("serverErrors").begin_array();
    for (auto& h : f.slots)
      w.value(static_cast<int64_t>(h.server_errors));
    w.end_array().end_object();
  }
  w.end_array().key("rates").begin_array();
  for (auto& s : figures.rates->history()) {
    w.begin_object().field("name", s.name).key("perSecond").begin_array();
    for (auto& v : s.per_second) {
      if (v)
        w.raw(number(*v));
      else
        w.null();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
  return w.take();
}

} // namespace broker::edge
