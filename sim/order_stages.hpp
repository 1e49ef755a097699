#pragma once
// Where each order's accept-to-durable-ack time goes, for order_bench: the
// driver's lateness, the way to the account actor and its work, the
// persistence actor's mailbox, the wait for a transaction to start, the
// transaction, and the way back to the caller.
// The persistence side is a probe (actors/persistence.hpp); the rest comes
// from the driver's own timestamps.
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/persistence.hpp"

namespace broker::sim {

// Records, by order id, when the order's first row (status PENDING: the
// placement) reached persistence and which transaction took it; and each
// transaction's span. Written by the persistence thread only; read once the
// run has drained.
class order_stage_probe : public persistence_probe {
public:
  // Sized up front (order ids below `max_order_id`, at most `max_transactions`
  // transactions), so recording never allocates on the persistence thread.
  order_stage_probe(size_t max_order_id, size_t max_transactions);

  void arrived(const write_batch& batch, uint64_t transaction,
               std::chrono::steady_clock::time_point at) override;
  void committing(uint64_t transaction) override;
  void committed(uint64_t transaction, std::chrono::steady_clock::time_point start,
                 std::chrono::steady_clock::time_point end) override;
  ~order_stage_probe() override;

  struct stages {
    bool known = false;
    int64_t handed_ns = 0, arrived_ns = 0, start_ns = 0, end_ns = 0; // since t0
    // The transaction's time split by the persistence thread's own schedstat:
    // on a CPU, runnable but waiting for one; the rest it was blocked (I/O).
    // Without schedstat (split false) the whole commit counts as on a CPU.
    bool split = false;
    int64_t commit_cpu_ns = 0, commit_runq_ns = 0;
  };
  stages of(int64_t order_id, std::chrono::steady_clock::time_point t0) const;

private:
  // Steady-clock ns since its epoch; 0 means not recorded.
  std::vector<int64_t> handed_ns_;     // by order id: the account sent its batch
  std::vector<int64_t> arrived_ns_;    // by order id: persistence took it from its mailbox
  std::vector<uint32_t> transaction_;  // by order id
  std::vector<int64_t> start_ns_, end_ns_; // by transaction; end 0: not committed
  std::vector<int64_t> cpu_ns_, runq_ns_;  // by transaction; cpu -1: not read
  // The persistence thread's /proc/thread-self/schedstat, opened on its first
  // transaction; its readings at the last committing().
  int schedstat_fd_ = -1;
  int64_t cpu_at_start_ = 0, runq_at_start_ = 0;
  bool read_schedstat(int64_t& cpu, int64_t& runq);
};

// Nearest-rank percentile of a sorted vector; p in [0, 1]; 0 if empty.
int64_t percentile(const std::vector<int64_t>& sorted, double p);

// One order's timestamps, ns since t0.
struct order_timeline {
  int64_t scheduled = 0, sent = 0, acked = 0;
  order_stage_probe::stages persistence;
};

// The split of latency into stages, over all orders and over the slowest 1%.
struct stage_split {
  static constexpr int count = 8;
  // driver late, to the account's commit, mailbox, wait, commit (on a CPU,
  // waiting for one, blocked), back
  static const char* const names[count];
  size_t orders = 0, slow_orders = 0;
  size_t unsplit_commits = 0; // orders whose commit had no schedstat split
  double slow_threshold_ms = 0;
  double p50_ms[count]{};   // each stage's own median over all orders
  double slow_p50_ms[count]{};  // each stage's median over the slow orders
  double slow_mean_ms[count]{}; // each stage's mean over the slow orders
  double slow_share[count]{};   // fraction of slow orders where this stage is the largest
};
stage_split split_stages(const std::vector<order_timeline>& orders);

// The table order_bench prints, and its JSON object.
std::string format_stage_table(const stage_split& s);
std::string stage_json(const stage_split& s);

} // namespace broker::sim
