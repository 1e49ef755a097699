#include "sim/order_stages.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fcntl.h>
#include <unistd.h>

namespace broker::sim {

order_stage_probe::order_stage_probe(size_t max_order_id, size_t max_transactions)
  : handed_ns_(max_order_id, 0),
    arrived_ns_(max_order_id, 0),
    transaction_(max_order_id, 0),
    start_ns_(max_transactions, 0),
    end_ns_(max_transactions, 0),
    cpu_ns_(max_transactions, -1),
    runq_ns_(max_transactions, 0) {}

order_stage_probe::~order_stage_probe() {
  if (schedstat_fd_ >= 0)
    ::close(schedstat_fd_);
}

// schedstat: "<ns on a CPU> <ns runnable, waiting for one> <time slices>".
bool order_stage_probe::read_schedstat(int64_t& cpu, int64_t& runq) {
  if (schedstat_fd_ < 0)
    schedstat_fd_ = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  char buf[128];
  auto n = schedstat_fd_ < 0 ? -1 : ::pread(schedstat_fd_, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return false;
  buf[n] = 0;
  long long c = 0, r = 0;
  if (std::sscanf(buf, "%lld %lld", &c, &r) != 2)
    return false;
  cpu = c;
  runq = r;
  return true;
}

void order_stage_probe::committing(uint64_t) {
  if (!read_schedstat(cpu_at_start_, runq_at_start_))
    cpu_at_start_ = runq_at_start_ = -1;
}

namespace {

int64_t ns_of(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

} // namespace

void order_stage_probe::arrived(const write_batch& batch, uint64_t transaction,
                                std::chrono::steady_clock::time_point at) {
  // Only a placement's own row: the later rows of the same order (the
  // exchange's acknowledgement, fills) come in other batches.
  for (auto& o : batch.orders) {
    if (o.status != order_status::pending || o.id <= 0)
      continue;
    auto i = static_cast<size_t>(o.id);
    if (i >= arrived_ns_.size() || arrived_ns_[i] != 0)
      continue;
    arrived_ns_[i] = ns_of(at);
    handed_ns_[i] = batch.handed_over.time_since_epoch().count() != 0 ? ns_of(batch.handed_over)
                                                                       : arrived_ns_[i];
    transaction_[i] = static_cast<uint32_t>(transaction);
  }
}

void order_stage_probe::committed(uint64_t transaction, std::chrono::steady_clock::time_point start,
                                  std::chrono::steady_clock::time_point end) {
  if (transaction >= start_ns_.size())
    return;
  start_ns_[transaction] = ns_of(start);
  end_ns_[transaction] = ns_of(end);
  int64_t cpu = 0, runq = 0;
  if (cpu_at_start_ >= 0 && read_schedstat(cpu, runq)) {
    cpu_ns_[transaction] = cpu - cpu_at_start_;
    runq_ns_[transaction] = runq - runq_at_start_;
  }
}

order_stage_probe::stages order_stage_probe::of(int64_t order_id,
                                               std::chrono::steady_clock::time_point t0) const {
  stages s;
  if (order_id <= 0 || static_cast<size_t>(order_id) >= arrived_ns_.size())
    return s;
  auto i = static_cast<size_t>(order_id);
  auto t = transaction_[i];
  if (arrived_ns_[i] == 0 || t >= end_ns_.size() || end_ns_[t] == 0)
    return s;
  s.known = true;
  s.handed_ns = handed_ns_[i] - ns_of(t0);
  s.arrived_ns = arrived_ns_[i] - ns_of(t0);
  s.start_ns = start_ns_[t] - ns_of(t0);
  s.end_ns = end_ns_[t] - ns_of(t0);
  s.split = cpu_ns_[t] >= 0;
  s.commit_cpu_ns = std::max<int64_t>(0, cpu_ns_[t]);
  s.commit_runq_ns = runq_ns_[t];
  return s;
}

const char* const stage_split::names[stage_split::count] = {
  "driver late (scheduled -> sent)",
  "to account, placed (sent -> handed)",
  "persistence mailbox (-> taken)",
  "wait (taken -> commit start)",
  "commit: on a CPU",
  "commit: waiting for a CPU",
  "commit: blocked (I/O)",
  "back (commit end -> ack)",
};

int64_t percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty())
    return 0;
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

namespace {

int64_t nearest_rank(std::vector<int64_t>& v, double p) {
  std::sort(v.begin(), v.end());
  return percentile(v, p);
}

// The stages of one order; they add up to its latency.
std::array<int64_t, stage_split::count> stages_of(const order_timeline& o) {
  auto& p = o.persistence;
  int64_t commit = p.end_ns - p.start_ns;
  int64_t runq = p.split ? p.commit_runq_ns : 0;
  int64_t blocked = p.split ? std::max<int64_t>(0, commit - p.commit_cpu_ns - runq) : 0;
  return {o.sent - o.scheduled,      p.handed_ns - o.sent, p.arrived_ns - p.handed_ns,
          p.start_ns - p.arrived_ns, commit - runq - blocked, runq,
          blocked,                   o.acked - p.end_ns};
}

} // namespace

stage_split split_stages(const std::vector<order_timeline>& orders) {
  stage_split s;
  std::vector<const order_timeline*> known;
  std::vector<int64_t> latency;
  for (auto& o : orders)
    if (o.persistence.known && o.acked > 0) {
      known.push_back(&o);
      latency.push_back(o.acked - o.scheduled);
    }
  s.orders = known.size();
  if (known.empty())
    return s;
  auto lat_sorted = latency;
  int64_t threshold = nearest_rank(lat_sorted, 0.99);
  s.slow_threshold_ms = static_cast<double>(threshold) / 1e6;
  std::array<std::vector<int64_t>, stage_split::count> each, slow_each;
  std::array<double, stage_split::count> slow_sum{};
  std::array<size_t, stage_split::count> largest{};
  for (size_t k = 0; k < known.size(); ++k) {
    auto st = stages_of(*known[k]);
    if (!known[k]->persistence.split)
      ++s.unsplit_commits;
    for (int j = 0; j < stage_split::count; ++j)
      each[j].push_back(st[j]);
    if (latency[k] < threshold)
      continue;
    ++s.slow_orders;
    int top = 0;
    for (int j = 0; j < stage_split::count; ++j) {
      slow_sum[j] += static_cast<double>(st[j]);
      slow_each[j].push_back(st[j]);
      if (st[j] > st[top])
        top = j;
    }
    ++largest[top];
  }
  for (int j = 0; j < stage_split::count; ++j) {
    s.p50_ms[j] = static_cast<double>(nearest_rank(each[j], 0.5)) / 1e6;
    s.slow_p50_ms[j] = static_cast<double>(nearest_rank(slow_each[j], 0.5)) / 1e6;
    s.slow_mean_ms[j] = slow_sum[j] / static_cast<double>(s.slow_orders) / 1e6;
    s.slow_share[j] = static_cast<double>(largest[j]) / static_cast<double>(s.slow_orders);
  }
  return s;
}

std::string format_stage_table(const stage_split& s) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line,
                "  where the time goes (%zu orders; slow = the %zu at or over the p99, %.2f ms)\n",
                s.orders, s.slow_orders, s.slow_threshold_ms);
  out += line;
  std::snprintf(line, sizeof line, "  %-37s %7s %10s %11s %15s\n", "stage", "p50 ms",
                "slow: p50", "slow: mean", "slow: largest");
  out += line;
  if (s.unsplit_commits > 0) {
    std::snprintf(line, sizeof line,
                  "  (%zu orders' commits had no schedstat reading: counted whole as on a CPU)\n",
                  s.unsplit_commits);
    out += line;
  }
  for (int j = 0; j < stage_split::count; ++j) {
    std::snprintf(line, sizeof line, "  %-37s %7.3f %10.3f %11.3f %14.0f%%\n", stage_split::names[j],
                  s.p50_ms[j], s.slow_p50_ms[j], s.slow_mean_ms[j], 100 * s.slow_share[j]);
    out += line;
  }
  return out;
}

std::string stage_json(const stage_split& s) {
  static const char* const keys[stage_split::count] = {
    "driver_late", "to_account", "mailbox", "wait", "commit_cpu", "commit_runq", "commit_blocked",
    "back"};
  std::string out = "{";
  char part[160];
  for (int j = 0; j < stage_split::count; ++j) {
    std::snprintf(part, sizeof part, "%s\"%s\":{\"p50_ms\":%.4f,\"slow_p50_ms\":%.4f,\"slow_mean_ms\":%.4f,\"slow_largest\":%.4f}",
                  j ? "," : "", keys[j], s.p50_ms[j], s.slow_p50_ms[j], s.slow_mean_ms[j], s.slow_share[j]);
    out += part;
  }
  return out + "}";
}

} // namespace broker::sim
