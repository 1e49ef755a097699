#pragma once
// The simulated exchange, in-process: one order_book per instrument, a
// liquidity provider quoting around a seeded random walk so market orders
// fill, and a noise trader that prints trades. Speaks the connector's protocol
// (see actors/exchange_connector.hpp): new orders, cancels and reconcile in,
// execution reports out to whoever attached last.
//
// It keeps no state across a restart, as an exchange session would not: on
// reconcile, every broker order it does not know is reported cancelled.
// With remember_reports (the deterministic simulation, where one exchange
// outlives many links and node crashes) it answers a reconcile or status
// request about an order it knows by sending that order's reports again,
// under their own ExecIDs, as a real exchange's drop copy would; and
// (orders_atom) answers every report it has made, its records.
#include <chrono>
#include <memory>

#include <caf/fwd.hpp>

#include "protocol/clock.hpp"
#include "protocol/instruments.hpp"
#include "protocol/market_calendar.hpp"

namespace broker::sim {

struct exchange_options {
  uint64_t seed = 42;
  std::chrono::milliseconds quote_interval{250}; // market maker refresh
  int levels = 5;                  // price levels quoted on each side
  int64_t level_quantity = 2000;   // shares per level
  int spread_ticks = 1;            // distance of the best quote from the mid
  int max_step_ticks = 4;          // random walk step per refresh
  bool market_maker = true;
  // Working broker orders to size the order maps for up front: growing a hash
  // map of a few hundred thousand entries stalls the exchange for milliseconds.
  size_t expected_working_orders = 1 << 20;
  bool remember_reports = false;
  // New broker orders refused outright (as an exchange's own risk checks
  // would), in parts per million, drawn from a generator of their own.
  uint32_t reject_per_million = 0;
};

caf::actor spawn_exchange(caf::actor_system& sys, std::shared_ptr<const instrument_table> instruments,
                          std::shared_ptr<const market_calendar> calendar, const utc_clock* clock,
                          exchange_options opts);

} // namespace broker::sim
