#pragma once
// The injected clock. Nothing outside a clock implementation reads the wall
// clock: actors, the exchange and the calendar take a `utc_clock&`, so a
// simulation or a test decides what time it is.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/types.hpp"

namespace broker {

// "2026-01-21", "2026-01-21T10:30:00Z", "2026-01-21T10:30:00.123Z" (UTC
// only) as ns since the epoch; nullopt for anything else or an impossible date.
std::optional<timestamp> parse_iso_time(std::string_view s);

class utc_clock {
public:
  virtual ~utc_clock() = default;
  virtual timestamp now() const = 0; // ns since the Unix epoch
};

// The real time, for a running brokerd.
class system_utc_clock final : public utc_clock {
public:
  timestamp now() const override;
};

// Time that moves only when told to; safe to read from any thread.
class manual_clock final : public utc_clock {
public:
  explicit manual_clock(timestamp start) : now_(start) {}
  timestamp now() const override { return now_.load(std::memory_order_relaxed); }
  void set(timestamp t) { now_.store(t, std::memory_order_relaxed); }
  void advance(int64_t ns) { now_.fetch_add(ns, std::memory_order_relaxed); }

private:
  std::atomic<timestamp> now_;
};

constexpr int64_t ns_per_ms = 1'000'000;
constexpr int64_t ns_per_second = 1'000'000'000;

} // namespace broker
