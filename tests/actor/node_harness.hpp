#pragma once
// A whole broker node on CAF's deterministic scheduler: real actors, a real
// SQLite file, the simulated exchange; time from a manual clock (UTC) and
// CAF's test clock (timers). run() drains every message; nothing sleeps.
#include <filesystem>
#include <memory>
#include <optional>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/node.hpp"
#include "sim/exchange.hpp"
#include "sim/outside_services.hpp"
#include "storage/sqlite_store.hpp"

namespace broker::testing {

// A store that can be told to fail, for the "storage is down" paths. The
// rows go to a real SQLite store underneath.
class breakable_store final : public store {
public:
  explicit breakable_store(std::shared_ptr<store> inner) : inner_(std::move(inner)) {}
  bool broken = false;
  int attempts = 0; // commits tried, failed or not
  void commit(const write_batch& b) override {
    ++attempts;
    if (broken)
      throw store_error("disk unplugged (test)");
    inner_->commit(b);
  }
  store_snapshot load() override { return inner_->load(); }
  std::vector<execution_row> executions_of(order_id id) override { return inner_->executions_of(id); }
  std::vector<candle> candles_since(timestamp from) override { return inner_->candles_since(from); }
  std::vector<candle> candles_of(const std::string& symbol, timestamp from, timestamp to) override {
    if (broken)
      throw store_error("disk unplugged (test)");
    return inner_->candles_of(symbol, from, to);
  }

private:
  std::shared_ptr<store> inner_;
};

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

struct node_harness {
  struct options {
    std::chrono::milliseconds kyc_delay{0};
    bool market_maker = true;
    bool always_open = true;
  };

  explicit node_harness(std::filesystem::path dir, options o);
  node_harness(std::filesystem::path dir) : node_harness(std::move(dir), options{}) {}
  ~node_harness();

  void run() { sched->run(); }
  // Fires due timers in order until `d` of simulated time has passed.
  void advance(std::chrono::milliseconds d);

  // Calls `call(done)` with a reply callback, runs the system, and returns the answer.
  template <class T, class Call>
  std::variant<T, rejection> ask(Call call) {
    std::optional<std::variant<T, rejection>> out;
    call([&](std::variant<T, rejection> r) { out = std::move(r); });
    run();
    if (!out)
      throw std::runtime_error("no reply after the system went quiet");
    return std::move(*out);
  }

  // Signs up, verifies KYC and deposits `cash`; returns the user id.
  user_id funded_user(const std::string& email, money cash);

  std::filesystem::path dir;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  manual_clock clock{1'767'225'600'000'000'000}; // 2026-01-01T00:00:00Z
  std::shared_ptr<breakable_store> db;
  std::shared_ptr<commit_timings> commit_times = std::make_shared<commit_timings>();
  std::shared_ptr<recording_probe> probe = std::make_shared<recording_probe>();
  std::shared_ptr<const instrument_table> instruments;
  std::unique_ptr<node> broker;
  caf::actor exchange; // the first exchange link (the connector opens later ones)
  int exchanges_opened = 0;
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
