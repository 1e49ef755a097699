#include "sim/feed.hpp"

#include <algorithm>
#include <random>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace broker::sim {

namespace {

// As the Node peer's feed in ../shared/peers/ws-ticker (rate/100 ticks every
// 10 ms), so that fan-out comparisons feed both servers alike; an exchange's
// market data arrives in packets, not tick by tick, too. Quotes are conflated
// to 100 ms anyway.
constexpr auto batch_every = std::chrono::milliseconds{10};

struct feed_state {
  std::shared_ptr<const instrument_table> instruments;
  const utc_clock* clock = nullptr;
  caf::actor connector;
  feed_options opts;
  std::mt19937_64 rng;
  std::vector<money> price; // per instrument, table order
  uint64_t sent = 0;        // ticks sent so far
  timestamp started = 0;
  size_t next_symbol = 0;
  static inline const char* name = "sim_feed";
};

using feed_ptr = caf::stateful_actor<feed_state>*;

// Sends the ticks due by now (rate x elapsed, minus what went before): a late
// timer sends a bigger batch instead of falling behind.
void send_due(feed_ptr self) {
  auto& st = self->state;
  timestamp now = st.clock->now();
  auto due = static_cast<uint64_t>((now - st.started) / 1'000'000) * st.opts.ticks_per_second / 1000;
  if (due <= st.sent)
    return;
  auto& all = st.instruments->all();
  std::vector<tick> batch;
  batch.reserve(due - st.sent);
  std::uniform_int_distribution<int> step(-2, 2);
  std::uniform_int_distribution<int64_t> qty(1, 100);
  for (; st.sent < due; ++st.sent) {
    size_t i = st.next_symbol++ % all.size();
    auto& inst = all[i];
    money& p = st.price[i];
    p = std::clamp(p + step(st.rng) * inst.tick_size, inst.lower_band(), inst.upper_band());
    batch.push_back(tick{inst.symbol, now, p, qty(st.rng), p - inst.tick_size, p + inst.tick_size});
  }
  self->send(st.connector, ticks_atom::value, std::move(batch));
}

caf::behavior feed_actor(feed_ptr self, std::shared_ptr<const instrument_table> instruments,
                         const utc_clock* clock, caf::actor connector, feed_options opts) {
  auto& st = self->state;
  st.instruments = std::move(instruments);
  st.clock = clock;
  st.connector = std::move(connector);
  st.opts = opts;
  st.rng.seed(opts.seed);
  for (auto& inst : st.instruments->all())
    st.price.push_back(inst.reference_price);
  st.started = clock->now();
  self->delayed_send(self, batch_every, caf::tick_atom::value);
  return {
    [=](caf::tick_atom) {
      send_due(self);
      self->delayed_send(self, batch_every, caf::tick_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_feed(caf::actor_system& sys, std::shared_ptr<const instrument_table> instruments,
                      const utc_clock* clock, caf::actor connector, feed_options opts) {
  return sys.spawn(feed_actor, std::move(instruments), clock, std::move(connector), opts);
}

} // namespace broker::sim
