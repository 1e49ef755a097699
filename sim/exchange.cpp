#include "sim/exchange.hpp"

#include <random>
#include <unordered_map>

#include <absl/container/flat_hash_map.h>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "sim/order_book.hpp"

namespace broker::sim {

namespace {

const std::string broker_participant = "broker";
const std::string maker_participant = "lp";
const std::string noise_participant = "noise";

struct symbol_market {
  std::unique_ptr<order_book> book;
  const instrument* inst = nullptr;
  money mid = 0;
  std::vector<std::string> quotes; // the liquidity provider's resting orders
  money last_bid = 0, last_ask = 0;  // top of the book as last sent on the feed
};

struct exchange_state {
  std::shared_ptr<const instrument_table> instruments;
  std::shared_ptr<const market_calendar> calendar;
  const utc_clock* clock = nullptr;
  exchange_options opts;
  std::mt19937_64 rng;
  std::unordered_map<std::string, symbol_market> markets;
  struct broker_order {
    order_id id;     // the client order id
    user_id account; // echoed on every report (FIX tag 1)
  };
  // Open-addressed: a million working orders are cold memory, and a
  // node-based map spent a miss on the bucket, one on the node before it and
  // one on the node itself for every report.
  absl::flat_hash_map<std::string, broker_order> client_of; // exchange id -> broker's order
  absl::flat_hash_map<order_id, std::string> exchange_of; // broker order id -> exchange id (working)
  caf::actor connector;
  std::vector<tick> ticks; // the feed since the last flush_ticks
  uint64_t next_order = 1;
  uint64_t next_exec = 1;
  // With remember_reports: each broker order's reports (kept after it is
  // final: a broker that missed the end asks again) and all of them in order.
  std::unordered_map<order_id, std::vector<execution_report>> history;
  std::vector<execution_report> records;
  std::mt19937_64 reject_rng; // the injected refusals draw here, not from the market maker's walk
  uint64_t rejects_injected = 0;
  std::string session; // makes exec ids unique across exchange restarts
  bool was_open = true;
  static inline const char* name = "sim_exchange";
};

using exchange_ptr = caf::stateful_actor<exchange_state>*;

book_order_type book_type(order_type t) {
  switch (t) {
    case order_type::market: return book_order_type::market;
    case order_type::limit: return book_order_type::limit;
    case order_type::stop_limit: return book_order_type::stop_limit;
    case order_type::stop_market: return book_order_type::stop_market;
  }
  return book_order_type::market;
}

std::string next_exec_id(exchange_state& st) {
  return st.session + "-" + std::to_string(st.next_exec++);
}

void report(exchange_ptr self, execution_report r) {
  if (self->state.opts.remember_reports) {
    self->state.history[r.client_order_id].push_back(r);
    self->state.records.push_back(r);
  }
  if (self->state.connector)
    self->send(self->state.connector, std::move(r));
}

// The market data side of a book operation: a tick per trade (counted once,
// on the aggressor's event) and one when the top of the book moved.
void record_ticks(exchange_state& st, symbol_market& m, const std::vector<book_event>& events) {
  money bid = m.book->best_bid().value_or(0);
  money ask = m.book->best_ask().value_or(0);
  timestamp now = st.clock->now();
  bool traded = false;
  for (auto& ev : events)
    if (ev.kind == book_event_kind::trade && ev.aggressor) {
      st.ticks.push_back(tick{m.inst->symbol, now, ev.last_price, ev.last_quantity, bid, ask});
      traded = true;
    }
  if (!traded && (bid != m.last_bid || ask != m.last_ask))
    st.ticks.push_back(tick{m.inst->symbol, now, 0, 0, bid, ask});
  m.last_bid = bid;
  m.last_ask = ask;
}

// Sends the feed gathered while handling one message as one batch.
void flush_ticks(exchange_ptr self) {
  auto& st = self->state;
  if (st.ticks.empty())
    return;
  if (st.connector)
    self->send(st.connector, ticks_atom::value, std::move(st.ticks));
  st.ticks.clear();
}

// Turns the book's events about broker orders into execution reports.
void publish(exchange_ptr self, symbol_market& m, const std::vector<book_event>& events,
             bool from_cancel) {
  auto& st = self->state;
  record_ticks(st, m, events);
  for (auto& ev : events) {
    if (ev.participant != broker_participant || ev.kind == book_event_kind::triggered)
      continue;
    auto it = st.client_of.find(ev.order_id);
    if (it == st.client_of.end())
      continue;
    execution_report r;
    r.exec_id = next_exec_id(st);
    r.client_order_id = it->second.id;
    r.account = it->second.account;
    r.exchange_order_id = ev.order_id;
    r.cum_quantity = ev.cum_quantity;
    r.leaves_quantity = ev.leaves_quantity;
    r.text = ev.text;
    r.time = st.clock->now();
    switch (ev.kind) {
      case book_event_kind::accepted: r.kind = exec_kind::accepted; break;
      case book_event_kind::trade:
        r.kind = exec_kind::trade;
        r.last_quantity = ev.last_quantity;
        r.last_price = ev.last_price;
        break;
      case book_event_kind::cancelled: r.kind = exec_kind::cancelled; break;
      case book_event_kind::expired: r.kind = exec_kind::expired; break;
      case book_event_kind::rejected:
        r.kind = from_cancel ? exec_kind::cancel_rejected : exec_kind::rejected;
        break;
      case book_event_kind::triggered: break;
    }
    bool final = r.kind != exec_kind::cancel_rejected && r.leaves_quantity == 0
                 && r.kind != exec_kind::accepted;
    if (final) {
      st.exchange_of.erase(r.client_order_id);
      st.client_of.erase(it);
    }
    report(self, std::move(r));
  }
}

// Prefixed with the session so ids stay unique across exchange restarts.
std::string next_order_id(exchange_state& st) {
  return st.session + "-X" + std::to_string(st.next_order++);
}

// The liquidity provider moves its mid one random step and requotes; a noise
// trader then hits one side so the tape prints and stops can trigger.
void refresh_quotes(exchange_ptr self, symbol_market& m) {
  auto& st = self->state;
  auto& inst = *m.inst;
  money tick = inst.tick_size;
  std::uniform_int_distribution<int> step(-st.opts.max_step_ticks, st.opts.max_step_ticks);
  money room = tick * (st.opts.levels + st.opts.spread_ticks);
  m.mid = std::clamp(m.mid + step(st.rng) * tick, inst.lower_band() + room, inst.upper_band() - room);
  for (auto& id : m.quotes)
    publish(self, m, m.book->cancel(id), true);
  m.quotes.clear();
  for (int level = 0; level < st.opts.levels; ++level) {
    money offset = tick * (st.opts.spread_ticks + level);
    for (auto s : {side::buy, side::sell}) {
      book_order q;
      q.id = next_order_id(st);
      q.participant = maker_participant;
      q.side = s;
      q.type = book_order_type::limit;
      q.quantity = st.opts.level_quantity;
      q.price = s == side::buy ? m.mid - offset : m.mid + offset;
      m.quotes.push_back(q.id);
      publish(self, m, m.book->submit(std::move(q)), false);
    }
  }
  std::uniform_int_distribution<int64_t> qty(1, 50);
  book_order noise;
  noise.id = next_order_id(st);
  noise.participant = noise_participant;
  noise.side = (st.rng() & 1) ? side::buy : side::sell;
  noise.type = book_order_type::market;
  noise.tif = validity::ioc;
  noise.quantity = qty(st.rng);
  publish(self, m, m.book->submit(std::move(noise)), false);
}

void on_quote_timer(exchange_ptr self) {
  auto& st = self->state;
  bool open = st.calendar->is_open(st.clock->now());
  if (st.was_open && !open) // the session closed: DAY orders end
    for (auto& [_, m] : st.markets) {
      publish(self, m, m.book->expire_day_orders(), false);
      m.quotes.clear();
    }
  st.was_open = open;
  if (open && st.opts.market_maker)
    for (auto& inst : st.instruments->all()) // table order: deterministic
      refresh_quotes(self, st.markets.at(inst.symbol));
  flush_ticks(self);
}

// What the exchange says of an order the broker holds as working: nothing
// while it is working here (its reports flow as usual); if it never got here
// (a restart emptied the books), it is rejected when the exchange never
// acknowledged it and cancelled when it did, under an ExecID of its own so a
// second answer dedupes.
void answer_status(exchange_ptr self, const order& o) {
  auto& st = self->state;
  if (st.opts.remember_reports) {
    if (auto h = st.history.find(o.id); h != st.history.end()) {
      for (auto& r : h->second)
        self->send(st.connector, r);
      return;
    }
  }
  if (st.exchange_of.count(o.id))
    return;
  execution_report r;
  bool acknowledged = o.status != order_status::pending;
  r.exec_id = (acknowledged ? "LOST-" : "UNKNOWN-") + std::to_string(o.id);
  r.client_order_id = o.id;
  r.account = o.user;
  r.kind = acknowledged ? exec_kind::cancelled : exec_kind::rejected;
  r.cum_quantity = o.filled_quantity;
  r.leaves_quantity = 0;
  r.text = acknowledged ? "cancelled: unknown to the exchange after a restart"
                        : "rejected: the exchange never received the order";
  r.time = st.clock->now();
  r.repair = true;
  report(self, std::move(r));
}

} // namespace

caf::behavior exchange_actor(exchange_ptr self, std::shared_ptr<const instrument_table> instruments,
                             std::shared_ptr<const market_calendar> calendar, const utc_clock* clock,
                             exchange_options opts) {
  auto& st = self->state;
  st.instruments = std::move(instruments);
  st.calendar = std::move(calendar);
  st.clock = clock;
  st.opts = opts;
  st.client_of.reserve(opts.expected_working_orders);
  st.exchange_of.reserve(opts.expected_working_orders);
  st.rng.seed(opts.seed);
  st.reject_rng.seed(opts.seed ^ 0x4e1ec7);
  st.session = "E" + std::to_string(clock->now() / 1'000'000);
  for (auto& inst : st.instruments->all()) {
    symbol_market m;
    m.inst = &inst;
    m.mid = inst.reference_price;
    m.book = std::make_unique<order_book>(inst.symbol, inst.tick_size, inst.lower_band(),
                                          inst.upper_band());
    st.markets.emplace(inst.symbol, std::move(m));
  }
  if (opts.market_maker) {
    on_quote_timer(self);
    self->delayed_send(self, opts.quote_interval, caf::tick_atom::value);
  }
  return {
    [=](caf::tick_atom) {
      on_quote_timer(self);
      self->delayed_send(self, self->state.opts.quote_interval, caf::tick_atom::value);
    },
    // Answered once the connector may count on the link (at once, in process).
    [=](reconcile_atom, const std::vector<order>& working) -> caf::ok_atom {
      auto& st = self->state;
      st.connector = caf::actor_cast<caf::actor>(self->current_sender());
      for (auto& o : working)
        answer_status(self, o);
      return caf::ok_atom::value;
    },
    [=](order_status_atom, const order& o) { answer_status(self, o); },
    // Every report it made, in order, and how many refusals were injected.
    [=](orders_atom) { return caf::make_message(self->state.records, self->state.rejects_injected); },
    [=](new_order_atom, const order& o) {
      auto& st = self->state;
      if (!st.connector)
        st.connector = caf::actor_cast<caf::actor>(self->current_sender());
      auto it = st.markets.find(o.symbol);
      bool known = it != st.markets.end(), open = st.calendar->is_open(st.clock->now());
      bool refused = known && open && st.opts.reject_per_million > 0
                     && st.reject_rng() % 1'000'000 < st.opts.reject_per_million;
      if (!known || !open || refused) {
        execution_report r;
        r.exec_id = next_exec_id(st);
        r.client_order_id = o.id;
        r.account = o.user;
        r.kind = exec_kind::rejected;
        r.text = !known ? "unknown symbol" : !open ? "market closed" : "refused by the exchange's risk checks (injected)";
        r.time = st.clock->now();
        st.rejects_injected += refused;
        report(self, std::move(r));
        return;
      }
      book_order b;
      b.id = next_order_id(st);
      b.participant = broker_participant;
      b.side = o.side;
      b.type = book_type(o.type);
      b.tif = o.validity;
      b.quantity = o.quantity;
      b.price = o.price;
      b.trigger_price = o.trigger_price;
      st.client_of.emplace(b.id, exchange_state::broker_order{o.id, o.user});
      st.exchange_of.emplace(o.id, b.id);
      publish(self, it->second, it->second.book->submit(std::move(b)), false);
      flush_ticks(self);
    },
    [=](cancel_order_atom, order_id id, const std::string& symbol, user_id account) {
      auto& st = self->state;
      auto xid = st.exchange_of.find(id);
      auto market = st.markets.find(symbol);
      if (xid == st.exchange_of.end() || market == st.markets.end()) {
        execution_report r;
        r.exec_id = next_exec_id(st);
        r.client_order_id = id;
        r.account = account;
        r.kind = exec_kind::cancel_rejected;
        r.text = "order is not working";
        r.time = st.clock->now();
        report(self, std::move(r));
        return;
      }
      publish(self, market->second, market->second.book->cancel(xid->second), true);
      flush_ticks(self);
    },
  };
}

caf::actor spawn_exchange(caf::actor_system& sys, std::shared_ptr<const instrument_table> instruments,
                          std::shared_ptr<const market_calendar> calendar, const utc_clock* clock,
                          exchange_options opts) {
  return sys.spawn(exchange_actor, std::move(instruments), std::move(calendar), clock, opts);
}

} // namespace broker::sim
