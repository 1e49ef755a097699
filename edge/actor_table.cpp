#include "edge/actor_table.hpp"

#include <algorithm>
#include <set>

#include "edge/responses.hpp"

namespace broker::edge {

namespace {

void write_actor(json_writer& w, const actor_sample& s, double rate) {
  const auto& e = s.entry;
  w.begin_object()
    .field("id", static_cast<int64_t>(e.id))
    .field("kind", to_string(e.kind))
    .field("key", e.key)
    .field("parent", static_cast<int64_t>(e.parent))
    .field("restarts", static_cast<int64_t>(e.incarnation - 1))
    .field("mailbox", s.mailbox)
    .field("messages", static_cast<int64_t>(s.messages));
  w.key("messagesPerSecond").raw(std::to_string(static_cast<double>(static_cast<int64_t>(rate * 10 + 0.5)) / 10));
  w.key("handlerMs").raw(std::to_string(static_cast<double>(s.handler_ns) / 1e6));
  if (s.last_active_ns > 0)
    w.field("idleMs", (s.at_ns - s.last_active_ns) / 1'000'000);
  else
    w.key("idleMs").null();
  w.field("ageMs", (s.at_ns - e.enrolled_ns) / 1'000'000).end_object();
}

} // namespace

std::optional<query_problem> set_query_field(actor_query& q, const std::string& name, const std::string& value) {
  if (name == "kind") {
    if (value.empty()) {
      q.kind.reset();
      return std::nullopt;
    }
    q.kind = parse_actor_kind(value);
    if (!q.kind)
      return query_problem{"kind", "kind must be an actor kind (account, symbol, session, ...)"};
  } else if (name == "key") {
    q.key = value;
  } else if (name == "sort") {
    static const std::set<std::string> sorts{"mailbox", "messages", "rate", "handler", "id"};
    if (!sorts.count(value))
      return query_problem{"sort", "sort is one of mailbox, messages, rate, handler, id"};
    q.sort = value;
  } else if (name == "limit") {
    auto n = positive_integer(value);
    if (!n)
      return query_problem{"limit", "limit is a whole number from 1"};
    q.limit = std::min(*n, actor_query::max_limit);
  }
  return std::nullopt;
}

double actor_table::rate_of(const actor_sample& s) {
  auto it = last_seen_.find(s.entry.id);
  auto [messages, at] = it != last_seen_.end() ? it->second : std::make_pair(uint64_t{0}, s.entry.enrolled_ns);
  last_seen_[s.entry.id] = {s.messages, s.at_ns};
  if (s.at_ns <= at || s.messages < messages)
    return 0;
  return static_cast<double>(s.messages - messages) * 1e9 / static_cast<double>(s.at_ns - at);
}

void actor_table::write_row(json_writer& w, const actor_sample& s) {
  std::lock_guard<std::mutex> guard{mutex_};
  write_actor(w, s, rate_of(s));
}

std::string actor_table::render(const std::vector<actor_sample>& all, const actor_query& q) {
  struct row {
    const actor_sample* s;
    double rate;
  };
  std::vector<row> rows;
  std::map<std::string, int64_t> by_kind;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    std::map<uint64_t, std::pair<uint64_t, int64_t>> seen_now; // the dead are forgotten
    for (auto& s : all) {
      double rate = rate_of(s);
      seen_now[s.entry.id] = last_seen_[s.entry.id];
      ++by_kind[to_string(s.entry.kind)];
      if ((q.kind && s.entry.kind != *q.kind) || s.entry.key.find(q.key) == std::string::npos)
        continue;
      rows.push_back({&s, rate});
    }
    last_seen_ = std::move(seen_now);
  }
  auto rank = [&](const row& x) -> double {
    if (q.sort == "mailbox")
      return static_cast<double>(x.s->mailbox);
    if (q.sort == "messages")
      return static_cast<double>(x.s->messages);
    if (q.sort == "rate")
      return x.rate;
    if (q.sort == "handler")
      return static_cast<double>(x.s->handler_ns);
    return -static_cast<double>(x.s->entry.id);
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const row& a, const row& b) { return rank(a) > rank(b); });
  json_writer w;
  w.begin_object()
    .field("total", static_cast<int64_t>(all.size()))
    .field("matched", static_cast<int64_t>(rows.size()))
    .field("sort", q.sort)
    .field("limit", q.limit)
    .key("kinds")
    .begin_object();
  for (auto& [k, n] : by_kind)
    w.field(k, n);
  w.end_object().key("actors").begin_array();
  for (size_t i = 0; i < rows.size() && static_cast<int64_t>(i) < q.limit; ++i)
    write_actor(w, *rows[i].s, rows[i].rate);
  w.end_array().end_object();
  return w.take();
}

} // namespace broker::edge
