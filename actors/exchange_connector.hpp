#pragma once
// The exchange connector: the broker's one link to the exchange. Sends new
// orders (client order id = the broker's order id) and cancels, receives
// execution reports and sends each to its account (asking the directory for
// the account's handle the first time). On (re)attach it asks the exchange about every order the broker
// still thinks is working, so the books are repaired after a restart.
//
// The exchange side speaks: (new_order_atom, order), (cancel_order_atom,
// order_id, symbol, account), (reconcile_atom, vector<order>) -> ok_atom
// (answered when the link can take orders), (order_status_atom, order) (an
// order the broker holds as working: what does the exchange say?), and sends back
// execution_report messages to the connector, each carrying the account the
// order was placed for (FIX tag 1), which is how reports find their account.
// Its market data feed, (ticks_atom, vector<tick>) batches, goes on to the
// symbol actors, one batch per symbol. A link whose market data can stop on
// its own (FIX: a session of its own) says so with (market_data_atom, bool);
// for any other, market data flows exactly while the link is up.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/census.hpp"
#include "actors/symbol.hpp"
#include "protocol/types.hpp"

namespace broker {

// Opens a new exchange link (spawns the simulated exchange, or connects).
using exchange_factory = std::function<caf::actor()>;

// The link as the rest of the node sees it: accounts read `up` before placing
// an order; the counters go to /v1/metrics. Written by the connector only.
struct exchange_link_status {
  std::atomic<bool> up{false};
  std::atomic<uint64_t> connects{0};      // links that came up (the first included)
  std::atomic<uint64_t> repairs{0};       // reports made by reconciliation, each applied to the books
  std::atomic<uint64_t> status_checks{0}; // orders asked about again because they were stuck
  std::atomic<bool> market_data{true};     // the exchange's quotes are flowing
};

struct connector_options {
  std::string link = "in-process"; // what kind of link, for logs and operators
  std::shared_ptr<actor_census> census; // null: not enrolled
  // Opens a new link when the current one dies; empty: a dead link is not
  // replaced (cancels wait). Reopened after a back-off doubling from 100 ms
  // to 5 s, plus up to half again at random (seeded).
  exchange_factory reopen;
  std::shared_ptr<exchange_link_status> status; // null: the connector keeps its own
  // How often the connector looks for orders stuck in PENDING (sent, never
  // acknowledged) or PENDING_CANCEL for `stuck_after`, and asks the exchange
  // about each again (order_status_atom). On the actor clock.
  std::chrono::milliseconds check_every{5000};
  std::chrono::milliseconds stuck_after{10000};
  // Whether the link reports its market data with (market_data_atom, bool);
  // if not, it flows while the link is up.
  bool link_reports_market_data = false;
  // Told each time the exchange's quotes stop (false) or flow again (true).
  std::function<void(bool flowing)> on_market_data;
};

// Send it (account_atom, directory) before the first report can arrive.
caf::actor spawn_exchange_connector(caf::actor_system& sys, std::shared_ptr<const symbol_actors> symbols,
                                    connector_options opts);

} // namespace broker
