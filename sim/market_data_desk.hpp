#pragma once
// sim-exchange's market data over FIX: serves the broker's market data
// session (protocol/fix_market_data.hpp) from the exchange's own feed.
//
// It keeps each symbol's top of book and last trade from the ticks the
// exchange sends (through the order desk, sim/fix_desk.hpp), answers a
// MarketDataRequest with a snapshot per symbol, and then sends each batch of
// ticks of the subscribed symbols as one incremental refresh. A request naming
// a symbol the exchange does not list is rejected whole (35=Y). The
// subscription ends with the session: a broker that logs on again asks again.
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>

#include "protocol/clock.hpp"
#include "protocol/fix_market_data.hpp"
#include "protocol/instruments.hpp"

namespace broker::fix {

template <class F>
typename F::result_type inspect(F& f, subscription& x) {
  return f(caf::meta::type_name("fix_subscription"), x.request_id, x.request_type, x.symbols);
}

} // namespace broker::fix

namespace broker::sim {

// Speaks: (ticks_atom, vector<tick>) from the exchange's feed;
// (fix::subscription) from the session; (logout_atom): the session ended.
caf::actor spawn_market_data_desk(caf::actor_system& sys, std::shared_ptr<const instrument_table> instruments,
                                  std::string session, const utc_clock* clock);

} // namespace broker::sim
