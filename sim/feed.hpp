#pragma once
// A synthetic market data feed for load tests: trades at a set rate, spread
// over every instrument, each price a seeded random walk inside the band, sent
// to the connector in batches (one batch per millisecond) exactly like the
// simulated exchange's own feed. Off unless brokerd gets --feed-ticks-per-second.
#include <cstdint>
#include <memory>

#include <caf/fwd.hpp>

#include "protocol/clock.hpp"
#include "protocol/instruments.hpp"

namespace broker::sim {

struct feed_options {
  uint64_t ticks_per_second = 0;
  uint64_t seed = 7;
};

caf::actor spawn_feed(caf::actor_system& sys, std::shared_ptr<const instrument_table> instruments,
                      const utc_clock* clock, caf::actor connector, feed_options opts);

} // namespace broker::sim
