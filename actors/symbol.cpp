#include "actors/symbol.hpp"
#include "actors/instrumented_behavior.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/views.hpp"

namespace broker {

namespace {

struct symbol_state {
  quote current;
  symbol_options opts;
  std::shared_ptr<const market_calendar> calendar;
  caf::actor persistence;
  timestamp session = 0;        // start of the trading day `current` is about
  std::vector<candle> minutes;  // this trading day's finished one-minute candles, by start
  candle building;              // the minute under way; volume 0: none yet
  timestamp building_saved = 0; // exchange time `building` was last written behind
  std::shared_ptr<latest_quotes> board; // where the quote is published for sessions
  size_t slot = 0;                       // this symbol's place on it
  // Active price alerts by price: a trade at or above an `above` key fires
  // it, at or below a `below` key likewise. Value: (user, alert id).
  std::multimap<money, std::pair<user_id, int64_t>> above, below;
  caf::actor directory; // where fired alerts go (to the user's account)
  static inline const char* name = "symbol";
};

using symbol_ptr = caf::stateful_actor<symbol_state>*;

// Write-behind: a lost candle costs a chart a bar, never money, so nobody waits.
void store_candle(symbol_ptr self, const candle& c) {
  if (!self->state.persistence)
    return;
  write_batch b;
  b.candles.push_back(c);
  caf::anon_send(self->state.persistence, commit_atom::value, std::move(b));
}

// The minute under way is written behind every few seconds of exchange time,
// not only when it ends: a kill -9 then loses at most that much of it.
constexpr int64_t open_minute_save_every = 5'000'000'000;

void finish_minute(symbol_ptr self) {
  auto& st = self->state;
  if (st.building.volume == 0)
    return;
  store_candle(self, st.building);
  st.minutes.push_back(st.building);
  st.building = candle{};
  st.building_saved = 0;
}

// A trade in a later trading day: yesterday's last price is today's previous close.
void roll_session(symbol_ptr self, timestamp session) {
  auto& st = self->state;
  finish_minute(self);
  st.session = session;
  st.minutes.clear();
  st.current.prev_close = st.current.ltp;
  st.current.open = st.current.high = st.current.low = 0;
  st.current.volume = 0;
}

// Fires every alert the trade at `price` crosses, once: it leaves the book.
void fire_alerts(symbol_ptr self, money price, timestamp at) {
  auto& st = self->state;
  auto fire = [&](auto first, auto last, auto& book) {
    for (auto it = first; it != last; ++it)
      if (st.directory)
        self->send(st.directory, fired_atom::value, it->second.first, it->second.second, price, at);
    book.erase(first, last);
  };
  fire(st.above.begin(), st.above.upper_bound(price), st.above); // thresholds <= price
  fire(st.below.lower_bound(price), st.below.end(), st.below);   // thresholds >= price
}

void on_trade(symbol_ptr self, const tick& t) {
  auto& st = self->state;
  timestamp session = st.calendar->session_start(t.exchange_time);
  if (session > st.session)
    roll_session(self, session);
  timestamp minute = minute_of(t.exchange_time);
  if (st.building.volume > 0 && st.building.start != minute)
    finish_minute(self);
  if (st.building.volume == 0) {
    st.building.symbol = st.current.symbol;
    st.building.start = minute;
  }
  add_trade(st.building, t.last_price, t.last_quantity);
  if (t.exchange_time - st.building_saved >= open_minute_save_every) {
    store_candle(self, st.building); // an upsert: the minute's later writes replace it
    st.building_saved = t.exchange_time;
  }
  fire_alerts(self, t.last_price, t.exchange_time);
}

// For the operator console: the last tick, today's candles, the trigger book.
std::string describe(const symbol_state& st) {
  json_writer w;
  w.begin_object().key("quote");
  write_quote(w, st.current, quote_mode::full);
  w.field("candlesToday", static_cast<int64_t>(st.minutes.size()));
  w.field("subscribers", static_cast<int64_t>(st.board->followers(st.slot)));
  auto triggers = [&](const char* name, const std::multimap<money, std::pair<user_id, int64_t>>& book) {
    w.key(name).begin_array();
    size_t shown = 0;
    for (auto& [price, who] : book) {
      if (++shown > 100)
        break;
      w.begin_object()
        .money_field("price", price)
        .field("user", static_cast<int64_t>(who.first))
        .field("alertId", who.second)
        .end_object();
    }
    w.end_array();
  };
  w.field("alertsAbove", static_cast<int64_t>(st.above.size()));
  w.field("alertsBelow", static_cast<int64_t>(st.below.size()));
  triggers("above", st.above);
  triggers("below", st.below);
  w.end_object();
  return w.take();
}

caf::behavior symbol_actor(symbol_ptr self, instrument inst,
                           std::shared_ptr<const market_calendar> calendar,
                           caf::actor persistence, std::vector<candle> today,
                           std::shared_ptr<latest_quotes> board, symbol_options opts, bool respawned,
                           uint64_t supervisor) {
  auto& st = self->state;
  st.opts = opts;
  st.board = std::move(board);
  st.slot = *st.board->slot_of(inst.symbol);
  st.calendar = std::move(calendar);
  st.persistence = std::move(persistence);
  st.current.symbol = inst.symbol;
  st.current.prev_close = inst.reference_price;
  st.current.ltp = inst.reference_price;
  // Picking up a trading day after a restart: the quote follows from its candles.
  if (!today.empty()) {
    st.session = st.calendar->session_start(today.front().start);
    for (auto& c : today) {
      if (st.current.open == 0)
        st.current.open = st.current.high = st.current.low = c.open;
      st.current.high = std::max(st.current.high, c.high);
      st.current.low = std::min(st.current.low, c.low);
      st.current.volume += c.volume;
      st.current.ltp = c.close;
    }
    // The last stored minute may have been cut short by a crash: it stays
    // open, so trades of that same minute add to it instead of replacing it.
    st.building = today.back();
    st.building_saved = today.back().start;
    today.pop_back();
    st.minutes = std::move(today);
    st.board->publish(st.slot, st.current);
  }
  // Spawned again after dying: the quote it last published is the latest
  // word (bid, ask and the last tick's time, which candles do not keep).
  if (respawned) {
    if (auto q = st.board->quote_of(inst.symbol); q && q->time > 0) {
      st.current = *q;
      st.session = std::max(st.session, st.calendar->session_start(q->time));
    }
  }
  // The minute under way is written when the node stops, not lost.
  self->set_exit_handler([=](const caf::exit_msg& em) {
    if (self->state.building.volume > 0)
      store_candle(self, self->state.building);
    self->quit(em.reason);
  });
  return instrumented(self, opts.census, actor_kind::symbol, inst.symbol, supervisor, {
    [=](inspect_atom) { return describe(self->state); },
    [=](ticks_atom, const std::vector<tick>& ticks) {
      auto& st = self->state;
      for (auto& t : ticks) {
        if (t.last_quantity > 0)
          on_trade(self, t);
        apply_tick(st.current, t);
      }
      if (st.opts.counters)
        st.opts.counters->ticks_ingested.fetch_add(ticks.size(), std::memory_order_relaxed);
      // Once per batch, not per tick: the connector sends each symbol one
      // batch per feed message. Sessions read it on their own beat.
      st.board->publish(st.slot, st.current);
    },
    [=](quote_atom) { return self->state.current; },
    [=](account_atom, const caf::actor& directory) { self->state.directory = directory; },
    [=](alert_atom, const price_alert& a) {
      if (a.status != alert_status::active)
        return;
      auto& book = a.condition == alert_condition::above ? self->state.above : self->state.below;
      // Armed once however often it is sent (a respawned actor re-reads the store).
      auto key = std::make_pair(a.user, a.id);
      auto [first, last] = book.equal_range(a.price);
      if (std::none_of(first, last, [&](const auto& e) { return e.second == key; }))
        book.emplace(a.price, key);
    },
    [=](alerts_atom) {
      std::vector<std::pair<user_id, int64_t>> armed;
      for (auto* book : {&self->state.above, &self->state.below})
        for (auto& [_, key] : *book)
          armed.push_back(key);
      return armed;
    },
    [=](unalert_atom, user_id user, int64_t id) {
      for (auto* book : {&self->state.above, &self->state.below})
        for (auto it = book->begin(); it != book->end(); ++it)
          if (it->second == std::make_pair(user, id)) {
            book->erase(it);
            return;
          }
    },
    [=](candles_atom, timestamp from, timestamp to) {
      auto& st = self->state;
      std::vector<candle> out;
      auto first = std::lower_bound(st.minutes.begin(), st.minutes.end(), from,
                                    [](const candle& c, timestamp t) { return c.start < t; });
      for (auto it = first; it != st.minutes.end() && it->start < to; ++it)
        out.push_back(*it);
      if (st.building.volume > 0 && st.building.start >= from && st.building.start < to)
        out.push_back(st.building);
      return out;
    },
  });
}

// The symbol actors' supervisor: it monitors them, and spawns again one that
// died of anything but the node stopping (user_shutdown) or dying (kill).
struct supervisor_state {
  std::map<std::string, instrument> instruments;
  std::shared_ptr<const market_calendar> calendar;
  caf::actor persistence, store_reader, directory;
  std::shared_ptr<latest_quotes> board;
  symbol_options opts;
  std::weak_ptr<symbol_actors> actors; // the node holds it
  std::map<caf::actor_addr, std::string> watched;
  static inline const char* name = "symbol_supervisor";
};

using supervisor_ptr = caf::stateful_actor<supervisor_state>*;

void watch(supervisor_ptr self, const std::string& symbol, const caf::actor& a) {
  self->state.watched[a.address()] = symbol;
  self->monitor(a);
}

void arm_stored_alerts(supervisor_ptr self, const std::string& symbol, const caf::actor& actor) {
  self->request(self->state.store_reader, caf::infinite, alerts_atom::value, symbol)
    .then(
      [=](const std::vector<price_alert>& alerts) {
        for (auto& a : alerts)
          self->send(actor, alert_atom::value, a);
      },
      [=](const caf::error& e) {
        std::fprintf(stderr, "symbol_supervisor: %s's alerts not re-armed: %s\n", symbol.c_str(),
                     caf::to_string(e).c_str());
      });
}

// A new actor in the dead one's place, with today's candles (when the store
// can give them), then the symbol's active alerts from the store. An alert
// armed on the dead actor meanwhile was written before it was sent, and the
// store is read after the new handle is in place, so it is armed again.
void respawn_with(supervisor_ptr self, const std::string& symbol, std::vector<candle> candles) {
  auto& st = self->state;
  auto actors = st.actors.lock();
  if (!actors)
    return;
  auto a = self->spawn(symbol_actor, st.instruments.at(symbol), st.calendar, st.persistence, std::move(candles),
                       st.board, st.opts, true, self->id());
  if (st.directory)
    self->send(a, account_atom::value, st.directory);
  actors->put(symbol, a);
  watch(self, symbol, a);
  arm_stored_alerts(self, symbol, a);
  std::fprintf(stderr, "symbol_supervisor: %s's actor is back\n", symbol.c_str());
}

void respawn(supervisor_ptr self, const std::string& symbol) {
  auto& st = self->state;
  auto q = st.board->quote_of(symbol);
  timestamp today = st.calendar->session_start(q ? q->time : 0);
  self->request(st.store_reader, caf::infinite, candles_atom::value, symbol, today,
                std::numeric_limits<timestamp>::max())
    .then([=](std::vector<candle>& candles) { respawn_with(self, symbol, std::move(candles)); },
          [=](const caf::error& e) {
            std::fprintf(stderr, "symbol_supervisor: %s's candles unreadable (%s); its chart starts again\n",
                         symbol.c_str(), caf::to_string(e).c_str());
            respawn_with(self, symbol, {});
          });
}

caf::behavior symbol_supervisor(supervisor_ptr self, supervisor_state init) {
  self->state = std::move(init);
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.watched.find(dm.source);
    if (it == st.watched.end())
      return;
    auto symbol = it->second;
    st.watched.erase(it);
    if (dm.reason == caf::exit_reason::user_shutdown || dm.reason == caf::exit_reason::kill
        || dm.reason == caf::exit_reason::normal)
      return; // the node is stopping, or dying with everything
    std::fprintf(stderr, "symbol_supervisor: %s's actor stopped (%s); spawning it again\n", symbol.c_str(),
                 caf::to_string(dm.reason).c_str());
    respawn(self, symbol);
  });
  return instrumented(self, self->state.opts.census, actor_kind::supervisor, "symbols", 0, {
    [=](watch_atom, const std::string& symbol, const caf::actor& a) { watch(self, symbol, a); },
    [=](account_atom, const caf::actor& directory) { self->state.directory = directory; },
  });
}

} // namespace

caf::actor symbol_actors::of(const std::string& symbol) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = actors_.find(symbol);
  return it == actors_.end() ? caf::actor{} : it->second;
}

bool symbol_actors::trades(const std::string& symbol) const {
  std::lock_guard<std::mutex> guard{mutex_};
  return actors_.count(symbol) > 0;
}

std::vector<caf::actor> symbol_actors::all() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<caf::actor> out;
  for (auto& [_, a] : actors_)
    out.push_back(a);
  return out;
}

void symbol_actors::put(const std::string& symbol, caf::actor a) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& slot = actors_[symbol];
  restarts_ += slot ? 1 : 0;
  slot = std::move(a);
}

uint64_t symbol_actors::restarts() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return restarts_;
}

std::shared_ptr<const symbol_actors> spawn_symbols(caf::actor_system& sys,
                                                   const instrument_table& instruments,
                                                   std::shared_ptr<const market_calendar> calendar,
                                                   caf::actor persistence, caf::actor store_reader,
                                                   std::vector<candle> today,
                                                   std::shared_ptr<latest_quotes> board,
                                                   symbol_options opts) {
  std::map<std::string, std::vector<candle>> by_symbol;
  for (auto& c : today)
    by_symbol[c.symbol].push_back(std::move(c));
  auto out = std::make_shared<symbol_actors>();
  supervisor_state init;
  for (auto& inst : instruments.all())
    init.instruments.emplace(inst.symbol, inst);
  init.calendar = calendar;
  init.persistence = persistence;
  init.store_reader = store_reader;
  init.board = board;
  init.opts = opts;
  init.actors = out;
  auto supervisor = sys.spawn(symbol_supervisor, std::move(init));
  out->supervisor = supervisor;
  for (auto& inst : instruments.all()) {
    auto a = sys.spawn(symbol_actor, inst, calendar, persistence, std::move(by_symbol[inst.symbol]), board, opts,
                       false, supervisor.id());
    out->put(inst.symbol, a);
    caf::anon_send(supervisor, watch_atom::value, inst.symbol, a);
  }
  return out;
}

} // namespace broker
