#pragma once
// The actor tests' node: real actors on CAF's deterministic scheduler
// (sim/deterministic_node.hpp), a store that can be told to fail, and a
// probe that records what the persistence actor was told.
#include <filesystem>
#include <memory>

#include "sim/deterministic_node.hpp"

namespace broker::testing {

using breakable_store = sim::faulty_store;

// Keeps what the persistence actor tells its probe, in the order it was told.
struct recording_probe final : persistence_probe {
  struct arrival {
    uint64_t transaction = 0;
    std::vector<order_id> pending_orders; // placements in the batch
    bool handed_over_set = false, handed_before_arrival = false;
  };
  std::vector<arrival> arrivals;
  std::vector<uint64_t> begun, committed_ones;
  bool spans_ordered = true; // every committed span had start <= end
  void arrived(const write_batch& b, uint64_t t, std::chrono::steady_clock::time_point at) override {
    arrival a{t, {}, b.handed_over.time_since_epoch().count() != 0, b.handed_over <= at};
    for (auto& o : b.orders)
      if (o.status == order_status::pending)
        a.pending_orders.push_back(o.id);
    arrivals.push_back(std::move(a));
  }
  void committing(uint64_t t) override { begun.push_back(t); }
  void committed(uint64_t t, std::chrono::steady_clock::time_point start,
                 std::chrono::steady_clock::time_point end) override {
    committed_ones.push_back(t);
    spans_ordered = spans_ordered && start <= end;
  }
};

// The deterministic node (sim/deterministic_node.hpp) with the shipped
// instruments and a probe on its persistence actor.
struct harness_options {
  std::chrono::milliseconds kyc_delay{0};
  bool market_maker = true;
  bool always_open = true;
};

struct node_harness : sim::deterministic_node {
  using options = harness_options;

  explicit node_harness(std::filesystem::path dir, options o = {});

  std::shared_ptr<commit_timings> commit_times;
  std::shared_ptr<recording_probe> probe;
};

template <class T>
const T& ok(const std::variant<T, rejection>& r) {
  if (auto rej = std::get_if<rejection>(&r))
    throw std::runtime_error("rejected: " + std::string{code_of(rej->reason)} + ": " + rej->message);
  return std::get<T>(r);
}

template <class T>
reject_reason refused(const std::variant<T, rejection>& r) {
  if (!std::holds_alternative<rejection>(r))
    throw std::runtime_error("expected a rejection, got a value");
  return std::get<rejection>(r).reason;
}

} // namespace broker::testing
