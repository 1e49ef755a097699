#pragma once
// One symbol's limit order book and matching engine for the simulated
// exchange. A pure, deterministic data structure: no actors, no I/O, no clock,
// no randomness. Every public call returns the events it caused, in order.
//
// Semantics:
// - Price-time priority. A trade happens at the resting (maker) order's price.
//   Orders fill partially. Each trade emits TWO `trade` events, first for the
//   taker (aggressor) and then for the maker, each carrying that order's own
//   cum/leaves.
// - An accepted submit emits `accepted` first, then trades, then whatever ends
//   the order's turn (`cancelled` remainder, or nothing when it rests/fills).
// - Validation failures emit one `rejected` event with a reason in `text` and
//   change nothing: empty or duplicate id, quantity <= 0, price (limit,
//   stop_limit) or trigger (stop_market, stop_limit) not a positive multiple of
//   tick_size or outside [lower_band, upper_band]. A market order's price
//   field is ignored.
// - market: matches the opposite side; the unfilled remainder is cancelled
//   ("no liquidity"), never rests. tif does not matter for market orders.
//   limit IOC: matches what crosses, cancels the remainder.
//   limit DAY: matches what crosses, rests the remainder.
// - Stops wait off-book until the last trade price reaches the trigger: a buy
//   stop when last >= trigger, a sell stop when last <= trigger. Every trade
//   print is checked, so a sweep through several prices triggers every stop
//   it passes. A stop already satisfied at submit triggers immediately. On
//   trigger the order emits `triggered` and then trades as a market
//   (stop_market) or limit (stop_limit) order, with time priority from the
//   trigger moment.
// - Cascades: stops triggered while one order is matching are queued, sorted
//   by submission sequence, after that order's turn ends; the queue is then
//   worked first-in first-out, and stops triggered by a queued order's trades
//   join the back of the queue. The whole cascade finishes inside submit().
// - cancel(): a working order (resting or untriggered stop) -> `cancelled`;
//   anything else -> `rejected` "unknown or final order".
// - expire_day_orders(): end of session; every working order, untriggered
//   stops included, -> `expired`, in submission order.
// - Invariants (checked in release builds too, std::abort on violation):
//   cum + leaves == quantity for every working order; after submit the book is
//   not crossed (best_bid < best_ask); price levels never hold an order with
//   zero leaves quantity. check_invariants() runs the full O(n) audit.
// - Final orders are remembered for find() and duplicate-id checks only for
//   the most recent `final_orders_kept` of them; working orders always are.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/container/node_hash_map.h>

#include "protocol/types.hpp"

namespace broker::sim {

enum class book_order_type : uint8_t { market, limit, stop_market, stop_limit };

struct book_order {
  std::string id;              // exchange order id, unique, assigned by the caller
  std::string participant;     // owner, e.g. "broker" or "lp"
  broker::side side = broker::side::buy;
  book_order_type type = book_order_type::limit;
  broker::validity tif = broker::validity::day; // day or ioc
  int64_t quantity = 0;             // > 0
  broker::money price = 0;          // limit and stop_limit
  broker::money trigger_price = 0;  // stop_market and stop_limit
};

enum class book_event_kind : uint8_t { accepted, trade, cancelled, rejected, expired, triggered };

struct book_event {
  book_event_kind kind = book_event_kind::accepted;
  std::string order_id;        // the order this event is about
  std::string participant;
  int64_t last_quantity = 0;   // trade
  broker::money last_price = 0;// trade
  int64_t cum_quantity = 0;    // filled so far
  int64_t leaves_quantity = 0; // still working (0 when final)
  std::string counterparty_order_id; // trade
  std::string text;            // reason for rejected/cancelled/expired
  bool aggressor = false;      // trade: this order was the taker (maker/taker fees)
};

class order_book {
public:
  // Bands are inclusive. final_orders_kept bounds the memory spent on
  // remembering finished orders (see find()).
  order_book(std::string symbol, broker::money tick_size, broker::money lower_band,
             broker::money upper_band, size_t final_orders_kept = 10'000);

  std::vector<book_event> submit(book_order o);                 // accept/reject, match, rest/trigger
  std::vector<book_event> cancel(const std::string& order_id);  // cancelled, or rejected "unknown or final order"
  std::vector<book_event> expire_day_orders();                  // every working order -> expired

  std::optional<broker::money> best_bid() const;
  std::optional<broker::money> best_ask() const;
  std::optional<broker::money> last_price() const;
  int64_t volume() const; // total traded quantity (each trade counted once)

  struct level {
    broker::money price;
    int64_t quantity; // sum of leaves of the orders resting here
    int orders;
  };
  std::vector<level> bids(size_t depth) const; // best (highest) first
  std::vector<level> asks(size_t depth) const; // best (lowest) first

  struct order_state {
    book_order order; // as submitted (a triggered stop keeps its stop type)
    int64_t cum_quantity;
    int64_t leaves_quantity;
    bool triggered;
    bool working; // resting, or a stop waiting for its trigger
  };
  // Working orders are always found; final ones only while remembered.
  std::optional<order_state> find(const std::string& order_id) const;
  size_t working_orders() const;

  const std::string& symbol() const { return symbol_; }

  // Full O(n) audit of every invariant and of the internal bookkeeping;
  // aborts on the first violation. For tests and debugging.
  void check_invariants() const;

private:
  struct order_record;
  struct price_level {
    std::list<order_record*> queue; // arrival order = time priority
    int64_t quantity = 0;           // sum of leaves in queue
  };
  // Both sides keyed by ascending price: best ask = begin(), best bid = last.
  using book_side = std::map<broker::money, price_level>;
  // Parked stops keyed by (trigger, submission sequence).
  using stop_key = std::pair<broker::money, uint64_t>;
  using stop_side = std::map<stop_key, order_record*>;

  enum class place : uint8_t {
    none,          // final, or being matched right now
    resting,       // on a price level
    parked_stop,   // waiting for its trigger
    trigger_queue, // triggered, waiting for its turn to match
  };

  struct order_record {
    book_order order;
    uint64_t seq = 0; // submission sequence: ties and cascade order
    int64_t cum = 0;
    int64_t leaves = 0;
    bool triggered = false;
    bool working = false;
    place where = place::none;
    book_side::iterator level_pos;                // valid while resting
    std::list<order_record*>::iterator queue_pos; // valid while resting
  };

  std::optional<std::string> validate(const book_order& o) const;
  void execute(order_record& taker, std::vector<book_event>& out);
  void rest(order_record& rec);
  void unrest(order_record& rec);
  void park_stop(order_record& rec);
  void unpark_stop(order_record& rec);
  void collect_triggered_stops(broker::money trade_price);
  void drain_trigger_queue(std::vector<book_event>& out);
  void finish(order_record& rec);
  void forget_old_final_orders();
  void check_not_crossed() const;

  std::string symbol_;
  broker::money tick_size_;
  broker::money lower_band_;
  broker::money upper_band_;
  size_t final_orders_kept_;

  book_side bids_;
  book_side asks_;
  stop_side buy_stops_;
  stop_side sell_stops_;
  // Node-based, so record addresses stay valid while the map grows; Abseil's
  // is open-addressed over the nodes, a miss fewer per lookup than std's.
  absl::node_hash_map<std::string, order_record> orders_;
  double growth_point_ = 0.875; // see the constructor
  std::deque<std::string> final_ids_; // oldest first, for forgetting
  std::deque<order_record*> trigger_queue_;
  std::vector<order_record*> newly_triggered_; // reused scratch per execute

  uint64_t next_seq_ = 1;
  size_t working_count_ = 0;
  std::optional<broker::money> last_price_;
  int64_t volume_ = 0;
};

} // namespace broker::sim
