#pragma once
// A store that fails when told to, over a real one: the "storage is down"
// paths of the actor tests, and the seeded commit failures of a simulation
// run (sim/broker_sim.cpp). A failed commit applies nothing, as a backend's
// failed transaction does.
#include <functional>
#include <memory>
#include <optional>
#include <random>

#include "protocol/clock.hpp"
#include "storage/store.hpp"

namespace broker::sim {

class faulty_store final : public store {
public:
  explicit faulty_store(std::shared_ptr<store> inner) : inner_(std::move(inner)) {}

  bool broken = false;          // every commit (and chart read) fails until cleared
  uint32_t fail_per_million = 0;  // or each commit fails with this probability (ppm)...
  std::mt19937_64* rng = nullptr;  // ...drawn from this seeded generator (integers only: the
                                   // same draws on every machine)
  std::function<bool(const write_batch&)> fail_when; // or a commit fails when this says so
  // Or the store is locked (a backup, a long checkpoint) until this time on
  // `clock`: every commit meanwhile fails busy and is retried after.
  timestamp stalled_until = 0;
  const utc_clock* clock = nullptr;
  int attempts = 0;             // commits tried, failed or not
  uint64_t injected = 0;        // commits failed on purpose
  uint64_t stalled = 0;         // commits refused by a stall

  // The store underneath, closed and opened again (a simulated power cut).
  void replace_inner(std::shared_ptr<store> inner) { inner_ = std::move(inner); }

  void commit(const write_batch& b) override {
    ++attempts;
    if (!inner_)
      throw store_error("no store (closed)");
    if (clock && clock->now() < stalled_until) {
      ++stalled;
      throw store_error("database is locked (injected stall)");
    }
    if (broken || (fail_when && fail_when(b))
        || (fail_per_million > 0 && rng && (*rng)() % 1'000'000 < fail_per_million)) {
      ++injected;
      throw store_error("disk unplugged (injected)");
    }
    inner_->commit(b);
  }
  store_snapshot load() override { return inner_->load(); }
  store_snapshot load_user(user_id u) override { return inner_->load_user(u); }
  std::vector<price_alert> active_alerts_of(const std::string& symbol) override {
    return inner_->active_alerts_of(symbol);
  }
  std::vector<execution_row> executions_of(order_id id) override { return inner_->executions_of(id); }
  std::vector<candle> candles_since(timestamp from) override { return inner_->candles_since(from); }
  std::vector<candle> candles_of(const std::string& symbol, timestamp from, timestamp to) override {
    if (broken)
      throw store_error("disk unplugged (injected)");
    return inner_->candles_of(symbol, from, to);
  }
  // The operator console's rows are forwarded untouched, whatever the
  // switches above say: they model the books' persistence (commits, and
  // chart reads when broken), which these calls are no part of.
  bool add_operator(const operator_account& a) override { return inner_->add_operator(a); }
  std::optional<operator_account> find_operator(const std::string& name) override {
    return inner_->find_operator(name);
  }
  std::vector<operator_account> operators() override { return inner_->operators(); }
  int64_t append_audit(const audit_entry& e) override { return inner_->append_audit(e); }
  std::vector<audit_entry> audit_log(int64_t before_id, size_t limit) override {
    return inner_->audit_log(before_id, limit);
  }
  void put_halt(const stored_halt& h) override { inner_->put_halt(h); }
  void remove_halt(const std::string& symbol) override { inner_->remove_halt(symbol); }
  std::vector<stored_halt> halts() override { return inner_->halts(); }

private:
  std::shared_ptr<store> inner_;
};

} // namespace broker::sim
