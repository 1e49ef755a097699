#include "actors/symbol.hpp"

#include <set>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace broker {

namespace {

struct symbol_state {
  quote current;
  symbol_options opts;
  std::set<caf::actor> subscribers;
  bool changed = false;    // ticks applied since the last push
  bool push_armed = false; // a conflate_atom is on its way
  static inline const char* name = "symbol";
};

using symbol_ptr = caf::stateful_actor<symbol_state>*;

void arm_push(symbol_ptr self) {
  auto& st = self->state;
  if (st.push_armed || st.subscribers.empty())
    return;
  st.push_armed = true;
  // On the interval's grid of the actor clock, not `interval` from now: all
  // symbol actors then push at the same moments, and a session following many
  // symbols gets their quotes together and writes them as one frame.
  auto interval = std::chrono::duration_cast<caf::actor_clock::duration_type>(
    std::max(st.opts.conflation_interval, std::chrono::milliseconds{1}));
  auto into = self->clock().now().time_since_epoch() % interval;
  self->delayed_send(self, interval - into, conflate_atom::value);
}

caf::behavior symbol_actor(symbol_ptr self, instrument inst, symbol_options opts) {
  auto& st = self->state;
  st.opts = opts;
  st.current.symbol = inst.symbol;
  st.current.prev_close = inst.reference_price;
  st.current.ltp = inst.reference_price;
  self->set_down_handler([=](const caf::down_msg& dm) {
    self->state.subscribers.erase(caf::actor_cast<caf::actor>(dm.source));
  });
  return {
    [=](ticks_atom, const std::vector<tick>& ticks) {
      auto& st = self->state;
      for (auto& t : ticks)
        apply_tick(st.current, t);
      st.changed = true;
      arm_push(self);
    },
    [=](conflate_atom) {
      auto& st = self->state;
      st.push_armed = false;
      if (!st.changed)
        return;
      st.changed = false;
      for (auto& s : st.subscribers)
        self->send(s, push_atom::value, st.current);
    },
    [=](watch_atom, const caf::actor& subscriber) {
      auto& st = self->state;
      if (st.subscribers.insert(subscriber).second)
        self->monitor(subscriber);
      self->send(subscriber, push_atom::value, st.current); // something to show at once
    },
    [=](unwatch_atom, const caf::actor& subscriber) {
      if (self->state.subscribers.erase(subscriber) > 0)
        self->demonitor(subscriber);
    },
    [=](quote_atom) { return self->state.current; },
  };
}

} // namespace

std::shared_ptr<const symbol_actors> spawn_symbols(caf::actor_system& sys,
                                                   const instrument_table& instruments,
                                                   symbol_options opts) {
  auto out = std::make_shared<symbol_actors>();
  for (auto& inst : instruments.all())
    out->emplace(inst.symbol, sys.spawn(symbol_actor, inst, opts));
  return out;
}

} // namespace broker
