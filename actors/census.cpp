#include "actors/census.hpp"

#include <algorithm>
#include <chrono>

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>

namespace broker {

namespace {

constexpr const char* kind_names[] = {
  "supervisor", "account", "symbol", "session", "connector", "exchange_link", "persistence",
  "store_reader", "directory", "users", "gateway", "quote_fanout", "market_board", "operator_desk",
};
constexpr size_t kind_count = sizeof(kind_names) / sizeof(kind_names[0]);
static_assert(kind_count == static_cast<size_t>(actor_kind::operator_desk) + 1,
              "every actor_kind has a name");

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

} // namespace

void actor_gauge::record(traced_message m) {
  std::lock_guard<std::mutex> guard{trace_mutex};
  ++traced;
  if (trace.size() < trace_capacity) {
    trace.push_back(std::move(m));
    return;
  }
  trace[trace_next] = std::move(m);
  trace_next = (trace_next + 1) % trace_capacity;
}

std::vector<traced_message> actor_gauge::traced_so_far() const {
  std::lock_guard<std::mutex> guard{trace_mutex};
  std::vector<traced_message> out(trace.begin() + static_cast<std::ptrdiff_t>(trace_next), trace.end());
  out.insert(out.end(), trace.begin(), trace.begin() + static_cast<std::ptrdiff_t>(trace_next));
  return out;
}

void actor_gauge::start_trace(int64_t until_ns) {
  std::lock_guard<std::mutex> guard{trace_mutex};
  trace.clear();
  trace_next = 0;
  traced = 0;
  trace_until_ns.store(until_ns, std::memory_order_relaxed);
}

void actor_sample::read_gauge(int64_t now_ns) {
  messages = entry.gauge->messages.load(std::memory_order_relaxed);
  handler_ns = entry.gauge->handler_ns.load(std::memory_order_relaxed);
  last_active_ns = entry.gauge->last_active_ns.load(std::memory_order_relaxed);
  at_ns = now_ns;
}

const char* to_string(actor_kind k) { return kind_names[static_cast<size_t>(k)]; }

std::optional<actor_kind> parse_actor_kind(const std::string& s) {
  for (size_t i = 0; i < kind_count; ++i)
    if (s == kind_names[i])
      return static_cast<actor_kind>(i);
  return std::nullopt;
}

actor_census::actor_census(std::function<int64_t()> now_ns)
  : now_ns_(now_ns ? std::move(now_ns) : std::function<int64_t()>{steady_ns}) {}

std::shared_ptr<actor_gauge> actor_census::enroll(const caf::actor_addr& address, actor_kind kind,
                                                  std::string key, uint64_t parent) {
  auto gauge = std::make_shared<actor_gauge>();
  auto strong = caf::actor_cast<caf::strong_actor_ptr>(address);
  if (!strong)
    return gauge; // already gone: counted nowhere
  uint64_t id = address.id();
  {
    std::lock_guard<std::mutex> guard{mutex_};
    // A session is never restarted: each connection is a new one.
    uint32_t incarnation = kind == actor_kind::session ? 1 : ++incarnations_[{kind, key}];
    entries_[id] = census_entry{id, kind, std::move(key), parent, incarnation, now_ns_(), address, gauge};
  }
  // Runs as the actor dies (at once if it already has). The census may be
  // gone by then (a node destroyed before its actors finished exiting).
  strong->get()->attach_functor([census = weak_from_this(), id] {
    if (auto c = census.lock())
      c->leave(id);
  });
  return gauge;
}

void actor_census::leave(uint64_t id) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = entries_.find(id);
  if (it == entries_.end())
    return;
  auto& r = retired_[it->second.kind];
  r.messages += it->second.gauge->messages.load(std::memory_order_relaxed);
  r.handler_ns += it->second.gauge->handler_ns.load(std::memory_order_relaxed);
  entries_.erase(it);
}

uint64_t actor_census::restarts(actor_kind kind) const {
  std::lock_guard<std::mutex> guard{mutex_};
  uint64_t n = 0;
  for (auto& [k, incarnation] : incarnations_)
    if (k.first == kind)
      n += incarnation - 1;
  return n;
}

actor_census::retired_totals actor_census::retired(actor_kind kind) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = retired_.find(kind);
  return it == retired_.end() ? retired_totals{} : it->second;
}

uint64_t actor_census::messages_total() const {
  std::lock_guard<std::mutex> guard{mutex_};
  uint64_t total = 0;
  for (auto& [kind, r] : retired_)
    total += r.messages;
  for (auto& [id, e] : entries_)
    total += e.gauge->messages.load(std::memory_order_relaxed);
  return total;
}

void actor_census::set_key(uint64_t id, std::string key) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (auto it = entries_.find(id); it != entries_.end())
    it->second.key = std::move(key);
}

std::vector<census_entry> actor_census::entries() const {
  std::vector<census_entry> out;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    out.reserve(entries_.size());
    for (auto& [_, e] : entries_)
      out.push_back(e);
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return out;
}

std::optional<census_entry> actor_census::find(uint64_t id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = entries_.find(id);
  if (it == entries_.end())
    return std::nullopt;
  return it->second;
}

uint32_t actor_census::restarts(actor_kind kind, const std::string& key) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = incarnations_.find({kind, key});
  return it == incarnations_.end() ? 0 : it->second - 1;
}

bool actor_census::start_trace(uint64_t id, int64_t duration_ns) {
  std::shared_ptr<actor_gauge> gauge;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    auto it = entries_.find(id);
    if (it == entries_.end())
      return false;
    gauge = it->second.gauge;
  }
  gauge->start_trace(now_ns_() + duration_ns);
  return true;
}

size_t actor_census::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return entries_.size();
}

} // namespace broker
