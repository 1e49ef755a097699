#include "sim/market_data_desk.hpp"

#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "protocol/fix_market_data.hpp"
#include "protocol/quickfix.hpp"

namespace broker::sim {

namespace {

struct md_desk_state {
  std::shared_ptr<const instrument_table> instruments;
  FIX::SessionID session;
  const utc_clock* clock = nullptr;
  // Per symbol: bid and ask as of its latest tick, and its last trade.
  std::map<std::string, tick> top;
  // The one subscription of the session, while it lasts.
  std::optional<std::string> request_id;
  std::set<std::string> subscribed;
  uint64_t refreshes = 0;
  static inline const char* name = "market_data_desk";
};

using md_desk_ptr = caf::stateful_actor<md_desk_state>*;

void to_wire(md_desk_ptr self, FIX::Message m) {
  try {
    FIX::Session::sendToTarget(m, self->state.session);
  } catch (const std::exception& e) { // logged out meanwhile: the quote is gone, as it should be
    std::fprintf(stderr, "market_data_desk: could not send: %s\n", e.what());
  }
}

void on_ticks(md_desk_ptr self, const std::vector<tick>& ticks) {
  auto& st = self->state;
  std::vector<tick> out;
  for (auto& t : ticks) {
    auto& top = st.top[t.symbol];
    top.symbol = t.symbol;
    top.bid = t.bid;
    top.ask = t.ask;
    if (t.last_quantity > 0) {
      top.last_price = t.last_price;
      top.last_quantity = t.last_quantity;
      top.exchange_time = t.exchange_time;
    }
    if (st.request_id && st.subscribed.count(t.symbol))
      out.push_back(t);
  }
  if (!out.empty()) {
    ++st.refreshes;
    to_wire(self, fix::incremental_message(*st.request_id, out));
  }
}

void on_subscription(md_desk_ptr self, const fix::subscription& s) {
  auto& st = self->state;
  if (s.request_type == '2') { // unsubscribe
    if (st.request_id == s.request_id) {
      st.request_id.reset();
      st.subscribed.clear();
    }
    return;
  }
  for (auto& symbol : s.symbols)
    if (!st.instruments->find(symbol)) {
      to_wire(self, fix::market_data_reject_message(s.request_id, "unknown symbol " + symbol));
      return;
    }
  auto now = st.clock->now();
  for (auto& symbol : s.symbols) {
    auto it = st.top.find(symbol);
    to_wire(self, fix::snapshot_message(s.request_id, it != st.top.end() ? it->second : tick{symbol, 0, 0, 0, 0, 0},
                                        now));
  }
  if (s.request_type == '1') {
    st.request_id = s.request_id;
    st.subscribed = {s.symbols.begin(), s.symbols.end()};
  }
  std::fprintf(stderr, "market_data_desk: %zu symbols %s (%s)\n", s.symbols.size(),
               s.request_type == '1' ? "subscribed" : "snapshot", s.request_id.c_str());
}

caf::behavior md_desk_actor(md_desk_ptr self, std::shared_ptr<const instrument_table> instruments,
                            std::string session, const utc_clock* clock) {
  auto& st = self->state;
  st.instruments = std::move(instruments);
  st.session.fromString(session);
  st.clock = clock;
  return {
    [=](ticks_atom, const std::vector<tick>& ticks) { on_ticks(self, ticks); },
    [=](const fix::subscription& s) { on_subscription(self, s); },
    [=](logout_atom) {
      self->state.request_id.reset();
      self->state.subscribed.clear();
    },
  };
}

} // namespace

caf::actor spawn_market_data_desk(caf::actor_system& sys, std::shared_ptr<const instrument_table> instruments,
                                  std::string session, const utc_clock* clock) {
  // Its own thread: QuickFIX's sends take the session's lock and write.
  return sys.spawn<caf::detached>(md_desk_actor, std::move(instruments), std::move(session), clock);
}

} // namespace broker::sim
