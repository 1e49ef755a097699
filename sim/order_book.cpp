#include "sim/order_book.hpp"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "protocol/staggered_growth.hpp"

// A broken book would quietly produce wrong fills, which is worse than a
// crash, so invariants stay checked in release builds. Debug builds trip the
// assert first, which debuggers stop on nicely.
#define BOOK_INVARIANT(cond, what)                                                 \
  do {                                                                             \
    assert((cond) && what);                                                        \
    if (!(cond))                                                                   \
      ::broker::sim::invariant_failed(#cond, what, __FILE__, __LINE__);            \
  } while (0)

namespace broker::sim {

namespace {

[[noreturn]] void invariant_failed(const char* cond, const char* what, const char* file, int line) {
  std::fprintf(stderr, "order_book invariant broken: %s (%s) at %s:%d\n", what, cond, file, line);
  std::abort();
}

bool is_stop(book_order_type t) {
  return t == book_order_type::stop_market || t == book_order_type::stop_limit;
}

bool has_limit_price(book_order_type t) {
  return t == book_order_type::limit || t == book_order_type::stop_limit;
}

// Market and stop-market orders take any price and never rest.
bool is_market_like(book_order_type t) {
  return t == book_order_type::market || t == book_order_type::stop_market;
}

bool stop_satisfied(side s, money trigger, money last) {
  return s == side::buy ? last >= trigger : last <= trigger;
}

} // namespace

order_book::order_book(std::string symbol, money tick_size, money lower_band, money upper_band,
                       size_t final_orders_kept)
    : symbol_(std::move(symbol)),
      tick_size_(tick_size),
      lower_band_(lower_band),
      upper_band_(upper_band),
      final_orders_kept_(final_orders_kept) {
  BOOK_INVARIANT(tick_size_ > 0, "tick size must be positive");
  BOOK_INVARIANT(lower_band_ > 0 && lower_band_ <= upper_band_, "price band must be 0 < lower <= upper");
  // The books of one exchange fill alike: each doubles its index at its own
  // fill fraction, by symbol, so they don't rehash together (a 40 ms stall in
  // order_bench when they did; protocol/staggered_growth.hpp).
  growth_point_ = staggered_growth_point(std::hash<std::string>{}(symbol_));
  orders_.reserve(4096);
}

// ---------------------------------------------------------------- validation

std::optional<std::string> order_book::validate(const book_order& o) const {
  auto check_price = [&](const char* name, money p) -> std::optional<std::string> {
    if (p <= 0 || p % tick_size_ != 0)
      return std::string(name) + " " + std::to_string(p) + " is not a positive multiple of tick size " +
             std::to_string(tick_size_);
    if (p < lower_band_ || p > upper_band_)
      return std::string(name) + " " + std::to_string(p) + " is outside the price band [" +
             std::to_string(lower_band_) + ", " + std::to_string(upper_band_) + "]";
    return std::nullopt;
  };

  if (o.id.empty())
    return "order id must not be empty";
  if (o.quantity <= 0)
    return "quantity must be positive, got " + std::to_string(o.quantity);
  if (has_limit_price(o.type))
    if (auto why = check_price("price", o.price))
      return why;
  if (is_stop(o.type))
    if (auto why = check_price("trigger price", o.trigger_price))
      return why;
  // Duplicate ids are caught in submit() with the insert itself.
  return std::nullopt;
}

// ---------------------------------------------------------------- public API

std::vector<book_event> order_book::submit(book_order o) {
  std::vector<book_event> out;

  auto reject = [&](std::string why) {
    book_event e;
    e.kind = book_event_kind::rejected;
    e.order_id = o.id;
    e.participant = o.participant;
    e.text = std::move(why);
    out.push_back(std::move(e));
  };

  if (auto why = validate(o)) {
    reject(std::move(*why));
    return out;
  }
  grow_at(orders_, growth_point_);
  auto [it, inserted] = orders_.try_emplace(o.id);
  if (!inserted) {
    reject("duplicate order id");
    return out;
  }

  order_record& rec = it->second;
  rec.order = std::move(o);
  rec.seq = next_seq_++;
  rec.leaves = rec.order.quantity;
  rec.working = true;
  ++working_count_;

  book_event accepted;
  accepted.kind = book_event_kind::accepted;
  accepted.order_id = rec.order.id;
  accepted.participant = rec.order.participant;
  accepted.leaves_quantity = rec.leaves;
  out.push_back(std::move(accepted));

  if (!is_stop(rec.order.type)) {
    execute(rec, out);
  } else if (last_price_ && stop_satisfied(rec.order.side, rec.order.trigger_price, *last_price_)) {
    rec.where = place::trigger_queue;
    trigger_queue_.push_back(&rec);
  } else {
    park_stop(rec);
  }
  drain_trigger_queue(out);

  check_not_crossed();
  forget_old_final_orders();
  return out;
}

std::vector<book_event> order_book::cancel(const std::string& order_id) {
  std::vector<book_event> out;
  book_event e;
  e.order_id = order_id;

  auto it = orders_.find(order_id);
  if (it == orders_.end() || !it->second.working) {
    e.kind = book_event_kind::rejected;
    if (it != orders_.end())
      e.participant = it->second.order.participant;
    e.text = "unknown or final order";
    out.push_back(std::move(e));
    return out;
  }

  order_record& rec = it->second;
  if (rec.where == place::resting)
    unrest(rec);
  else
    unpark_stop(rec);
  finish(rec);

  e.kind = book_event_kind::cancelled;
  e.participant = rec.order.participant;
  e.cum_quantity = rec.cum;
  e.text = "cancelled on request";
  out.push_back(std::move(e));
  forget_old_final_orders();
  return out;
}

std::vector<book_event> order_book::expire_day_orders() {
  // Expire in submission order so the event stream does not depend on hash
  // map iteration order.
  std::vector<order_record*> working;
  working.reserve(working_count_);
  for (auto& [id, rec] : orders_)
    if (rec.working)
      working.push_back(&rec);
  std::sort(working.begin(), working.end(),
            [](const order_record* a, const order_record* b) { return a->seq < b->seq; });

  std::vector<book_event> out;
  out.reserve(working.size());
  for (order_record* rec : working) {
    if (rec->where == place::resting)
      unrest(*rec);
    else
      unpark_stop(*rec);
    finish(*rec);

    book_event e;
    e.kind = book_event_kind::expired;
    e.order_id = rec->order.id;
    e.participant = rec->order.participant;
    e.cum_quantity = rec->cum;
    e.text = "end of session";
    out.push_back(std::move(e));
  }
  BOOK_INVARIANT(working_count_ == 0 && bids_.empty() && asks_.empty() && buy_stops_.empty() &&
                     sell_stops_.empty(),
                 "expiry leaves nothing working");
  forget_old_final_orders();
  return out;
}

std::optional<money> order_book::best_bid() const {
  if (bids_.empty())
    return std::nullopt;
  return bids_.rbegin()->first;
}

std::optional<money> order_book::best_ask() const {
  if (asks_.empty())
    return std::nullopt;
  return asks_.begin()->first;
}

std::optional<money> order_book::last_price() const { return last_price_; }

int64_t order_book::volume() const { return volume_; }

std::vector<order_book::level> order_book::bids(size_t depth) const {
  std::vector<level> out;
  for (auto it = bids_.rbegin(); it != bids_.rend() && out.size() < depth; ++it)
    out.push_back({it->first, it->second.quantity, static_cast<int>(it->second.queue.size())});
  return out;
}

std::vector<order_book::level> order_book::asks(size_t depth) const {
  std::vector<level> out;
  for (auto it = asks_.begin(); it != asks_.end() && out.size() < depth; ++it)
    out.push_back({it->first, it->second.quantity, static_cast<int>(it->second.queue.size())});
  return out;
}

std::optional<order_book::order_state> order_book::find(const std::string& order_id) const {
  auto it = orders_.find(order_id);
  if (it == orders_.end())
    return std::nullopt;
  const order_record& r = it->second;
  return order_state{r.order, r.cum, r.leaves, r.triggered, r.working};
}

size_t order_book::working_orders() const { return working_count_; }

// ---------------------------------------------------------------- matching

// Matches `taker` against the opposite side, then rests or cancels what is
// left. Stops triggered by the trade prints are queued for afterwards: the
// taker's turn is never interrupted.
void order_book::execute(order_record& taker, std::vector<book_event>& out) {
  const book_order& t = taker.order;
  const bool buying = t.side == side::buy;
  const bool market_like = is_market_like(t.type);
  book_side& opposite = buying ? asks_ : bids_;
  taker.where = place::none;

  while (taker.leaves > 0 && !opposite.empty()) {
    auto best = buying ? opposite.begin() : std::prev(opposite.end());
    const money price = best->first;
    const bool crosses = market_like || (buying ? price <= t.price : price >= t.price);
    if (!crosses)
      break;

    price_level& lvl = best->second;
    order_record& maker = *lvl.queue.front();
    const int64_t qty = std::min(taker.leaves, maker.leaves);

    taker.cum += qty;
    taker.leaves -= qty;
    maker.cum += qty;
    maker.leaves -= qty;
    lvl.quantity -= qty;
    last_price_ = price;
    volume_ += qty;
    BOOK_INVARIANT(taker.cum + taker.leaves == t.quantity && taker.leaves >= 0, "taker cum + leaves == quantity");
    BOOK_INVARIANT(maker.cum + maker.leaves == maker.order.quantity && maker.leaves >= 0,
                   "maker cum + leaves == quantity");

    auto trade = [&](const order_record& self, const order_record& other, bool aggressor) {
      book_event e;
      e.kind = book_event_kind::trade;
      e.order_id = self.order.id;
      e.participant = self.order.participant;
      e.last_quantity = qty;
      e.last_price = price;
      e.cum_quantity = self.cum;
      e.leaves_quantity = self.leaves;
      e.counterparty_order_id = other.order.id;
      e.aggressor = aggressor;
      out.push_back(std::move(e));
    };
    trade(taker, maker, true);
    trade(maker, taker, false);

    if (maker.leaves == 0) {
      // A level never keeps a filled order: pop it, and the level if empty.
      lvl.queue.pop_front();
      if (lvl.queue.empty()) {
        BOOK_INVARIANT(lvl.quantity == 0, "empty level has zero quantity");
        opposite.erase(best);
      }
      maker.where = place::none;
      finish(maker);
    }
    collect_triggered_stops(price);
  }

  if (taker.leaves > 0) {
    if (market_like || t.tif == validity::ioc) {
      book_event e;
      e.kind = book_event_kind::cancelled;
      e.order_id = t.id;
      e.participant = t.participant;
      e.cum_quantity = taker.cum;
      e.text = market_like ? "no liquidity: unfilled market quantity cancelled"
                           : "IOC: unfilled quantity cancelled";
      out.push_back(std::move(e));
      finish(taker);
    } else {
      rest(taker);
    }
  } else {
    finish(taker);
  }

  // Stops triggered during this turn go in submission order.
  std::sort(newly_triggered_.begin(), newly_triggered_.end(),
            [](const order_record* a, const order_record* b) { return a->seq < b->seq; });
  for (order_record* s : newly_triggered_) {
    s->where = place::trigger_queue;
    trigger_queue_.push_back(s);
  }
  newly_triggered_.clear();
}

// Works through triggered stops first-in first-out; each may trigger more.
void order_book::drain_trigger_queue(std::vector<book_event>& out) {
  while (!trigger_queue_.empty()) {
    order_record& rec = *trigger_queue_.front();
    trigger_queue_.pop_front();
    rec.triggered = true;

    book_event e;
    e.kind = book_event_kind::triggered;
    e.order_id = rec.order.id;
    e.participant = rec.order.participant;
    e.cum_quantity = rec.cum;
    e.leaves_quantity = rec.leaves;
    out.push_back(std::move(e));

    execute(rec, out);
  }
}

// Moves every parked stop that a print at trade_price satisfies into
// newly_triggered_.
void order_book::collect_triggered_stops(money trade_price) {
  // Buy stops fire when last >= trigger: the lowest triggers first in the map.
  while (!buy_stops_.empty() && buy_stops_.begin()->first.first <= trade_price) {
    buy_stops_.begin()->second->where = place::none; // execute() queues it
    newly_triggered_.push_back(buy_stops_.begin()->second);
    buy_stops_.erase(buy_stops_.begin());
  }
  // Sell stops fire when last <= trigger: the highest triggers are at the end.
  while (!sell_stops_.empty() && std::prev(sell_stops_.end())->first.first >= trade_price) {
    auto last = std::prev(sell_stops_.end());
    last->second->where = place::none;
    newly_triggered_.push_back(last->second);
    sell_stops_.erase(last);
  }
}

// ---------------------------------------------------------------- bookkeeping

void order_book::rest(order_record& rec) {
  BOOK_INVARIANT(rec.leaves > 0, "resting orders have leaves > 0");
  BOOK_INVARIANT(has_limit_price(rec.order.type), "only limit-priced orders rest");
  book_side& own = rec.order.side == side::buy ? bids_ : asks_;
  auto lvl = own.try_emplace(rec.order.price).first;
  lvl->second.queue.push_back(&rec);
  lvl->second.quantity += rec.leaves;
  rec.level_pos = lvl;
  rec.queue_pos = std::prev(lvl->second.queue.end());
  rec.where = place::resting;
}

void order_book::unrest(order_record& rec) {
  BOOK_INVARIANT(rec.where == place::resting, "unrest needs a resting order");
  book_side& own = rec.order.side == side::buy ? bids_ : asks_;
  price_level& lvl = rec.level_pos->second;
  lvl.queue.erase(rec.queue_pos);
  lvl.quantity -= rec.leaves;
  if (lvl.queue.empty()) {
    BOOK_INVARIANT(lvl.quantity == 0, "empty level has zero quantity");
    own.erase(rec.level_pos);
  }
  rec.where = place::none;
}

void order_book::park_stop(order_record& rec) {
  stop_side& stops = rec.order.side == side::buy ? buy_stops_ : sell_stops_;
  stops.emplace(stop_key{rec.order.trigger_price, rec.seq}, &rec);
  rec.where = place::parked_stop;
}

void order_book::unpark_stop(order_record& rec) {
  BOOK_INVARIANT(rec.where == place::parked_stop, "unpark needs a parked stop");
  stop_side& stops = rec.order.side == side::buy ? buy_stops_ : sell_stops_;
  const size_t erased = stops.erase(stop_key{rec.order.trigger_price, rec.seq});
  BOOK_INVARIANT(erased == 1, "parked stop is in its stop map");
  rec.where = place::none;
}

// The order is final (filled, cancelled or expired): it stops working and its
// leaves drop to zero. The record stays for find() until forgotten.
void order_book::finish(order_record& rec) {
  BOOK_INVARIANT(rec.working, "only working orders finish");
  BOOK_INVARIANT(rec.where == place::none, "a finished order is in no book structure");
  rec.working = false;
  rec.leaves = 0;
  --working_count_;
  final_ids_.push_back(rec.order.id);
}

// Runs only at the end of public calls, so no record still in use is erased.
void order_book::forget_old_final_orders() {
  while (final_ids_.size() > final_orders_kept_) {
    orders_.erase(final_ids_.front());
    final_ids_.pop_front();
  }
}

void order_book::check_not_crossed() const {
  if (!bids_.empty() && !asks_.empty())
    BOOK_INVARIANT(bids_.rbegin()->first < asks_.begin()->first, "book is not crossed");
}

void order_book::check_invariants() const {
  check_not_crossed();
  BOOK_INVARIANT(trigger_queue_.empty() && newly_triggered_.empty(), "no cascade left half done");

  size_t resting = 0;
  auto audit_side = [&](const book_side& book, side s) {
    for (const auto& [price, lvl] : book) {
      BOOK_INVARIANT(!lvl.queue.empty(), "no empty price levels");
      int64_t sum = 0;
      for (const order_record* r : lvl.queue) {
        BOOK_INVARIANT(r->leaves > 0, "levels hold no zero-quantity orders");
        BOOK_INVARIANT(r->cum + r->leaves == r->order.quantity, "cum + leaves == quantity");
        BOOK_INVARIANT(r->working && r->where == place::resting, "resting orders are working");
        BOOK_INVARIANT(r->order.side == s && r->order.price == price, "order sits on its own level");
        sum += r->leaves;
        ++resting;
      }
      BOOK_INVARIANT(sum == lvl.quantity, "level quantity is the sum of its leaves");
    }
  };
  audit_side(bids_, side::buy);
  audit_side(asks_, side::sell);

  auto audit_stops = [&](const stop_side& stops, side s) {
    for (const auto& [key, r] : stops) {
      BOOK_INVARIANT(r->working && !r->triggered && r->where == place::parked_stop, "parked stops are untriggered");
      BOOK_INVARIANT(r->cum == 0 && r->leaves == r->order.quantity, "parked stops are unfilled");
      BOOK_INVARIANT(r->order.side == s && key.first == r->order.trigger_price, "stop sits on its own key");
    }
  };
  audit_stops(buy_stops_, side::buy);
  audit_stops(sell_stops_, side::sell);
  if (last_price_) {
    // A parked stop that the last price already satisfies should have fired.
    if (!buy_stops_.empty())
      BOOK_INVARIANT(buy_stops_.begin()->first.first > *last_price_, "no satisfied buy stop stays parked");
    if (!sell_stops_.empty())
      BOOK_INVARIANT(std::prev(sell_stops_.end())->first.first < *last_price_, "no satisfied sell stop stays parked");
  }

  size_t working = 0;
  for (const auto& [id, r] : orders_) {
    BOOK_INVARIANT(id == r.order.id, "record is keyed by its id");
    if (r.working) {
      ++working;
      BOOK_INVARIANT(r.cum + r.leaves == r.order.quantity, "cum + leaves == quantity");
    } else {
      BOOK_INVARIANT(r.leaves == 0 && r.where == place::none, "final orders have no leaves");
      BOOK_INVARIANT(r.cum <= r.order.quantity, "never filled beyond quantity");
    }
  }
  BOOK_INVARIANT(working == working_count_, "working counter matches the records");
  BOOK_INVARIANT(working == resting + buy_stops_.size() + sell_stops_.size(), "every working order is placed");
}

} // namespace broker::sim
