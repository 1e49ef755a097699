#pragma once
// The exchange connector: the broker's one link to the exchange. Sends new
// orders (client order id = the broker's order id) and cancels, receives
// execution reports and sends each to its account (asking the directory for
// the account's handle the first time). On (re)attach it asks the exchange about every order the broker
// still thinks is working, so the books are repaired after a restart.
//
// The exchange side speaks: (new_order_atom, order), (cancel_order_atom,
// order_id, symbol, account), (reconcile_atom, vector<order>) -> ok_atom
// (answered when the link can take orders), and sends back
// execution_report messages to the connector, each carrying the account the
// order was placed for (FIX tag 1), which is how reports find their account.
// Its market data feed, (ticks_atom, vector<tick>) batches, goes on to the
// symbol actors, one batch per symbol.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/symbol.hpp"
#include "protocol/types.hpp"

namespace broker {

// Opens a new exchange link (spawns the simulated exchange, or connects).
using exchange_factory = std::function<caf::actor()>;

// Send it (account_atom, directory) before the first report can arrive.
// `link` names the kind of exchange link ("in-process simulated exchange").
// `reopen` may be empty: a dead link is then not replaced (cancels wait).
// `link_up`, if given, is kept true while a link is attached and has answered
// its reconcile: accounts refuse new orders (exchange_unavailable) otherwise.
// A dead link is reopened after a back-off doubling from 100 ms to 5 s, plus
// up to half again at random (seeded).
caf::actor spawn_exchange_connector(caf::actor_system& sys, std::string link,
                                    std::shared_ptr<const symbol_actors> symbols,
                                    exchange_factory reopen = {},
                                    std::shared_ptr<std::atomic<bool>> link_up = nullptr);

} // namespace broker
