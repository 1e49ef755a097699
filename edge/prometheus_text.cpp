#include "edge/prometheus_text.hpp"

#include <array>
#include <cstdio>

namespace broker::edge {

namespace {

constexpr size_t kinds = static_cast<size_t>(actor_kind::operator_desk) + 1;

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// A label value, escaped as the format asks (backslash, quote, newline).
std::string quoted(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out + "\"";
}

class exposition {
public:
  // One metric family: its HELP and TYPE lines; its samples follow.
  exposition& family(const char* name, const char* type, const char* help) {
    out_ += std::string{"# HELP "} + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    return *this;
  }
  exposition& sample(std::string_view name, const std::string& labels, double v) {
    out_ += name;
    if (!labels.empty())
      out_ += "{" + labels + "}";
    out_ += " " + number(v) + "\n";
    return *this;
  }
  // A histogram's series: cumulative _bucket lines (le="+Inf" last), _sum, _count.
  // `counts` holds each bucket's own count, one more than `bounds_s`.
  template <class Bounds, class Counts>
  void histogram(const std::string& name, const std::string& labels, const Bounds& bounds_s,
                 const Counts& counts, double sum_s) {
    std::string sep = labels.empty() ? "" : ",";
    double cumulative = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      cumulative += static_cast<double>(counts[i]);
      std::string le = i < bounds_s.size() ? number(bounds_s[i]) : "+Inf";
      sample(name + "_bucket", labels + sep + "le=\"" + le + "\"", cumulative);
    }
    sample(name + "_sum", labels, sum_s);
    sample(name + "_count", labels, cumulative);
  }
  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

struct per_kind {
  double actors = 0, messages = 0, handler_s = 0, restarts = 0, mailbox = 0, silent = 0;
};

// The families by actor kind, one line per kind each.
struct kind_family {
  const char* name;
  const char* type;
  const char* help;
  double per_kind::*value;
};
constexpr std::array kind_families{
  kind_family{"brokerd_actors", "gauge", "Live actors, by kind.", &per_kind::actors},
  kind_family{"brokerd_actor_messages_total", "counter", "Messages handled by actors' behaviors, by kind.",
              &per_kind::messages},
  kind_family{"brokerd_actor_handler_seconds_total", "counter", "Time spent in actors' message handlers, by kind.",
              &per_kind::handler_s},
  kind_family{"brokerd_actor_restarts_total", "counter", "Actors spawned again after dying, by kind.",
              &per_kind::restarts},
  kind_family{"brokerd_actor_mailbox_messages", "gauge", "Messages waiting in actors' mailboxes, by kind.",
              &per_kind::mailbox},
  kind_family{"brokerd_actor_unresponsive", "gauge", "Actors that did not answer the depth request within 1 s.",
              &per_kind::silent},
};

// The node's single figures: one line each.
struct node_figure {
  const char* name;
  const char* type;
  const char* help;
  double (*read)(const node&);
};
double as_double(uint64_t v) {
  return static_cast<double>(v);
}
const std::array node_figures{
  node_figure{"brokerd_ticks_ingested_total", "counter", "Exchange ticks applied by symbol actors.",
              [](const node& n) { return as_double(n.counters().ticks_ingested.load()); }},
  node_figure{"brokerd_quote_pushes_total", "counter", "Quotes written to WebSocket clients.",
              [](const node& n) { return as_double(n.counters().quote_pushes.load()); }},
  node_figure{"brokerd_exchange_link_up", "gauge", "1 while the exchange link is up and reconciled.",
              [](const node& n) { return n.exchange_status().up.load() ? 1.0 : 0.0; }},
  node_figure{"brokerd_exchange_connects_total", "counter", "Exchange links that came up.",
              [](const node& n) { return as_double(n.exchange_status().connects.load()); }},
  node_figure{"brokerd_exchange_repairs_total", "counter", "Reports made by reconciliation and applied.",
              [](const node& n) { return as_double(n.exchange_status().repairs.load()); }},
  node_figure{"brokerd_market_data_flowing", "gauge", "1 while the exchange's quotes flow.",
              [](const node& n) { return n.exchange_status().market_data.load() ? 1.0 : 0.0; }},
  node_figure{"brokerd_trading_halts", "gauge", "Symbols an operator has halted.",
              [](const node& n) { return as_double(n.halts().all().size()); }},
};

void write_actor_families(exposition& x, const node& n, const std::vector<actor_sample>& samples) {
  std::array<per_kind, kinds> by{};
  const auto& census = *n.census();
  for (size_t k = 0; k < kinds; ++k) {
    auto kind = static_cast<actor_kind>(k);
    auto r = census.retired(kind);
    by[k].messages = as_double(r.messages);
    by[k].handler_s = as_double(r.handler_ns) / 1e9;
    by[k].restarts = as_double(census.restarts(kind));
  }
  for (auto& s : samples) {
    auto& b = by[static_cast<size_t>(s.entry.kind)];
    b.actors += 1;
    b.messages += as_double(s.messages);
    b.handler_s += as_double(s.handler_ns) / 1e9;
    if (s.mailbox >= 0)
      b.mailbox += as_double(static_cast<uint64_t>(s.mailbox));
    else
      b.silent += 1;
  }
  for (auto& f : kind_families) {
    x.family(f.name, f.type, f.help);
    for (size_t k = 0; k < kinds; ++k)
      x.sample(f.name, "kind=" + quoted(to_string(static_cast<actor_kind>(k))), by[k].*f.value);
  }
}

void write_request_families(exposition& x, const request_metrics& requests) {
  auto totals = requests.totals();
  auto labels = [](const request_metrics::endpoint_figures& f) {
    return "method=" + quoted(f.method) + ",endpoint=" + quoted(f.endpoint);
  };
  x.family("brokerd_http_requests_total", "counter",
           "Requests answered on both listeners, by method, endpoint (a route template) and status code.");
  for (auto& f : totals)
    for (auto& [code, count] : f.by_status)
      x.sample("brokerd_http_requests_total", labels(f) + ",code=\"" + std::to_string(code) + "\"", as_double(count));
  x.family("brokerd_http_request_duration_seconds", "histogram",
           "Time from a request reaching its handler to its response, by method and endpoint.");
  for (auto& f : totals)
    x.histogram("brokerd_http_request_duration_seconds", labels(f), latency_histogram::bounds_s,
                f.since_start.buckets, as_double(static_cast<uint64_t>(f.since_start.sum_ns)) / 1e9);
}

} // namespace

std::string prometheus_text(const node& n, const std::vector<actor_sample>& samples,
                            const request_metrics& requests) {
  exposition x;
  write_actor_families(x, n, samples);
  write_request_families(x, requests);
  for (auto& f : node_figures)
    x.family(f.name, f.type, f.help).sample(f.name, "", f.read(n));
  if (auto t = n.commit_times()) {
    auto f = t->read();
    std::array<double, commit_timings::bucket_ms.size()> bounds_s{};
    for (size_t i = 0; i < bounds_s.size(); ++i)
      bounds_s[i] = static_cast<double>(commit_timings::bucket_ms[i]) / 1e3;
    x.family("brokerd_store_commit_duration_seconds", "histogram", "Transactions committed by persistence.");
    x.histogram("brokerd_store_commit_duration_seconds", "", bounds_s, f.buckets, f.total_s);
    x.family("brokerd_store_commit_max_seconds", "gauge", "The longest transaction so far.")
      .sample("brokerd_store_commit_max_seconds", "", f.max_ms / 1e3);
  }
  return x.take();
}

} // namespace broker::edge
