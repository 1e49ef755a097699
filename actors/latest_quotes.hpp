#pragma once
// The latest quote of every instrument, in shared memory: each symbol actor
// publishes its quote here after every batch of ticks, and any session reads
// it on its own beat without a message. This is what makes fan-out cost
// O(sessions) per conflation interval instead of O(sessions x symbols): a
// symbol actor never sends to its followers, and each quote is encoded to
// JSON at most once per version per mode, however many sessions send it.
//
// Thread safety: one writer per slot (its symbol actor); any number of
// readers. A published_quote is immutable once published, except for its
// lazily encoded JSON, which std::call_once guards.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "protocol/instruments.hpp"
#include "protocol/market_data.hpp"

namespace broker {

class published_quote {
public:
  published_quote(uint64_t version, quote q) : version_(version), quote_(std::move(q)) {}
  // 1 for the first quote of a symbol, then +1 per publish: a reader that
  // remembers the version it sent knows whether there is anything new.
  uint64_t version() const { return version_; }
  const quote& value() const { return quote_; }
  // write_quote() of the quote in `mode`, encoded by the first reader that asks.
  const std::string& json(quote_mode mode) const;

private:
  uint64_t version_;
  quote quote_;
  mutable std::array<std::once_flag, 3> encoded_;
  mutable std::array<std::string, 3> json_;
};

class latest_quotes {
public:
  // One slot per instrument, fixed for the board's life; each starts with the
  // instrument's reference price as ltp and previous close (version 1).
  explicit latest_quotes(const instrument_table& instruments);

  size_t size() const { return slots_.size(); }
  std::optional<size_t> slot_of(const std::string& symbol) const;
  const std::string& symbol_at(size_t slot) const { return symbols_[slot]; }

  // Only the slot's symbol actor publishes; q.symbol must be the slot's.
  void publish(size_t slot, quote q);
  std::shared_ptr<const published_quote> latest(size_t slot) const;
  // Cheap check before latest(): the version of the slot's last publish.
  uint64_t version(size_t slot) const;
  // The latest quote of `symbol` (a copy); nullopt for a symbol not listed.
  std::optional<quote> quote_of(const std::string& symbol) const;

  // Stale while the exchange's market data has stopped (its link is down):
  // the quotes are the last known, and whoever shows one says so. Set by the
  // exchange connector.
  void set_stale(bool stale) { stale_.store(stale, std::memory_order_release); }

  // How many sessions follow each symbol, for the operator console: sessions
  // count themselves in and out (a figure, not a registry: nothing is sent
  // through it).
  void count_follower(size_t slot, int delta) const {
    slots_[slot].followers.fetch_add(delta, std::memory_order_relaxed);
  }
  int64_t followers(size_t slot) const { return slots_[slot].followers.load(std::memory_order_relaxed); }
  bool stale() const { return stale_.load(std::memory_order_acquire); }

private:
  struct slot {
    std::shared_ptr<const published_quote> current; // std::atomic_load / atomic_store only
    std::atomic<uint64_t> version{0};
    mutable std::atomic<int64_t> followers{0};
  };
  std::vector<std::string> symbols_;
  std::map<std::string, size_t> by_symbol_;
  std::vector<slot> slots_;
  std::atomic<bool> stale_{false};
};

} // namespace broker
