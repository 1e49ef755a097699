#include "edge/prometheus_text.hpp"

#include <array>
#include <cstdio>

namespace broker::edge {

namespace {

constexpr size_t kinds = static_cast<size_t>(actor_kind::operator_desk) + 1;

class exposition {
public:
  // One metric family: its HELP and TYPE lines, then its samples.
  exposition& family(const char* name, const char* type, const char* help) {
    out_ += std::string{"# HELP "} + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    return *this;
  }
  exposition& sample(const char* name, const std::string& labels, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    out_ += name;
    if (!labels.empty())
      out_ += "{" + labels + "}";
    out_ += std::string{" "} + buf + "\n";
    return *this;
  }
  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

std::string kind_label(size_t k) {
  return std::string{"kind=\""} + to_string(static_cast<actor_kind>(k)) + "\"";
}

} // namespace

std::string prometheus_text(const node& n, const std::vector<actor_sample>& samples) {
  struct per_kind {
    double actors = 0, messages = 0, handler_s = 0, mailbox = 0, silent = 0;
  };
  std::array<per_kind, kinds> by{};
  const auto& census = *n.census();
  for (size_t k = 0; k < kinds; ++k) {
    auto r = census.retired(static_cast<actor_kind>(k));
    by[k].messages = static_cast<double>(r.messages);
    by[k].handler_s = static_cast<double>(r.handler_ns) / 1e9;
  }
  for (auto& s : samples) {
    auto& b = by[static_cast<size_t>(s.entry.kind)];
    b.actors += 1;
    b.messages += static_cast<double>(s.messages);
    b.handler_s += static_cast<double>(s.handler_ns) / 1e9;
    if (s.mailbox >= 0)
      b.mailbox += static_cast<double>(s.mailbox);
    else
      b.silent += 1;
  }
  exposition x;
  x.family("brokerd_actors", "gauge", "Live actors, by kind.");
  for (size_t k = 0; k < kinds; ++k)
    x.sample("brokerd_actors", kind_label(k), by[k].actors);
  x.family("brokerd_actor_messages_total", "counter", "Messages handled by actors' behaviors, by kind.");
  for (size_t k = 0; k < kinds; ++k)
    x.sample("brokerd_actor_messages_total", kind_label(k), by[k].messages);
  x.family("brokerd_actor_handler_seconds_total", "counter", "Time spent in actors' message handlers, by kind.");
  for (size_t k = 0; k < kinds; ++k)
    x.sample("brokerd_actor_handler_seconds_total", kind_label(k), by[k].handler_s);
  x.family("brokerd_actor_restarts_total", "counter", "Actors spawned again after dying, by kind.");
  for (size_t k = 0; k < kinds; ++k)
    x.sample("brokerd_actor_restarts_total", kind_label(k),
             static_cast<double>(census.restarts(static_cast<actor_kind>(k))));
  x.family("brokerd_actor_mailbox_messages", "gauge", "Messages waiting in actors' mailboxes, by kind.");
  for (size_t k = 0; k < kinds; ++k)
    x.sample("brokerd_actor_mailbox_messages", kind_label(k), by[k].mailbox);
  x.family("brokerd_actor_unresponsive", "gauge", "Actors that did not answer the depth request within 1 s.");
  for (size_t k = 0; k < kinds; ++k)
    x.sample("brokerd_actor_unresponsive", kind_label(k), by[k].silent);
  const auto& m = n.counters();
  x.family("brokerd_ticks_ingested_total", "counter", "Exchange ticks applied by symbol actors.")
    .sample("brokerd_ticks_ingested_total", "", static_cast<double>(m.ticks_ingested.load()));
  x.family("brokerd_quote_pushes_total", "counter", "Quotes written to WebSocket clients.")
    .sample("brokerd_quote_pushes_total", "", static_cast<double>(m.quote_pushes.load()));
  const auto& link = n.exchange_status();
  x.family("brokerd_exchange_link_up", "gauge", "1 while the exchange link is up and reconciled.")
    .sample("brokerd_exchange_link_up", "", link.up.load() ? 1 : 0);
  x.family("brokerd_exchange_connects_total", "counter", "Exchange links that came up.")
    .sample("brokerd_exchange_connects_total", "", static_cast<double>(link.connects.load()));
  x.family("brokerd_exchange_repairs_total", "counter", "Reports made by reconciliation and applied.")
    .sample("brokerd_exchange_repairs_total", "", static_cast<double>(link.repairs.load()));
  x.family("brokerd_market_data_flowing", "gauge", "1 while the exchange's quotes flow.")
    .sample("brokerd_market_data_flowing", "", link.market_data.load() ? 1 : 0);
  x.family("brokerd_trading_halts", "gauge", "Symbols an operator has halted.")
    .sample("brokerd_trading_halts", "", static_cast<double>(n.halts().all().size()));
  if (auto t = n.commit_times()) {
    auto f = t->read();
    x.family("brokerd_store_commits_total", "counter", "Transactions committed by persistence.")
      .sample("brokerd_store_commits_total", "", static_cast<double>(f.commits));
    x.family("brokerd_store_commit_seconds_total", "counter", "Time spent in those transactions.")
      .sample("brokerd_store_commit_seconds_total", "", f.mean_ms * static_cast<double>(f.commits) / 1e3);
    x.family("brokerd_store_commit_max_seconds", "gauge", "The longest transaction so far.")
      .sample("brokerd_store_commit_max_seconds", "", f.max_ms / 1e3);
  }
  return x.take();
}

} // namespace broker::edge
