#pragma once
// The books of one user: cash, holds, holdings, orders, transfers, KYC and
// idempotency keys. Plain C++ (no actors): the account actor owns exactly one
// and is its only caller, so every mutation here happens alone and in order.
//
// Each mutation appends the rows it changed to a write_batch; the actor hands
// that batch to persistence and answers the client once it has committed.
//
// Money lives in the double-entry journal (protocol/ledger.hpp): every
// movement posts one entry whose amounts sum to zero, and the balances are
// the running sums. Sale proceeds land in user_unsettled and move to user_cash
// (withdrawable) on their settlement day, T+N business days later; until then
// they can buy, but not leave.
//
// Invariants (audit(), always on, also in release builds; after every mutation
// while the book is small, amortized over mutations once it is large):
//   the ledger sums to zero; user_cash, user_unsettled, user_held >= 0
//   user_held == sum(held_cash of working buy orders) + sum(pending withdrawals)
//   user_unsettled == sum of the settlement queue
//   per working buy: 0 <= held_unsettled <= held_cash
//   per holding: 0 <= held_quantity <= quantity,
//                held_quantity == sum(leaves of working sell orders in that symbol),
//                quantity and cost_basis == the open lots' quantity and cost
//   per order:   filled_quantity <= quantity; a final order holds nothing
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "actors/order_ids.hpp"
#include "protocol/fees.hpp"
#include "protocol/ledger.hpp"
#include "protocol/lots.hpp"
#include "protocol/market_calendar.hpp"
#include "protocol/notifications.hpp"
#include "protocol/portfolio.hpp"
#include "protocol/reject_reason.hpp"
#include "protocol/requests.hpp"
#include "protocol/types.hpp"
#include "storage/store.hpp"

namespace broker {

// What the store knows about one account at start.
struct account_seed {
  user_profile profile;
  account_row account;
  std::vector<holding> holdings;
  std::vector<order> orders;
  std::vector<execution_row> trades; // TRADE executions in written order: the lots replay them
  std::vector<transfer> transfers;
  std::vector<idempotency_entry> idempotency;
  std::vector<price_alert> alerts;
  std::vector<journal_entry> journal; // by id; its sums must agree with account.cash
  std::vector<settlement_row> settlements;
  std::vector<notification> notifications; // by id
  std::vector<watchlist> watchlists;
};

// Gives a seed `cash` of settled money as if deposited before the journal
// began (tests, benchmarks): the account row and the ledger agree.
void give_opening_balance(account_seed& seed, money cash);
// The journal entry that records such an opening balance.
journal_entry opening_balance_entry(int64_t id, user_id user, money cash);

// The node's accounting rules, shared by every book.
struct book_rules {
  fee_schedule fees;       // free by default
  int settlement_days = 1; // T+N, in business days of `calendar`
  market_calendar calendar{calendar_rules{}};
  cost_basis_method cost_basis = cost_basis_method::fifo;
};


struct place_outcome {
  std::variant<order, rejection> result;
  bool replayed = false; // an earlier order returned for a repeated Idempotency-Key
};

class account_book {
public:
  // Order, journal entry and notification ids come from `ids` (the node's);
  // without one (a book on its own, in tests) the book numbers them itself,
  // after the highest it holds.
  explicit account_book(account_seed seed, id_sources ids = {},
                        std::shared_ptr<const book_rules> rules = nullptr);
  // Moves keep the working orders' pointers (map nodes move with the map);
  // a copy would not.
  account_book(account_book&&) = default;
  account_book& operator=(account_book&&) = default;
  account_book(const account_book&) = delete;
  account_book& operator=(const account_book&) = delete;

  // Moves sale proceeds whose settlement day has begun by `now` from
  // user_unsettled to user_cash. Changes that already happened: the caller
  // writes them until durable, before anything else it does at `now`.
  void settle_due(timestamp now, write_batch& out);
  bool settlement_due(timestamp now) const {
    return !unsettled_by_day_.empty()
           && unsettled_by_day_.begin()->first <= rules_->calendar.local_day(now);
  }

  // Validates and, if it passes, records a PENDING order with its cash or
  // shares held, and its "placed" notification. `inst` is null for an
  // unknown symbol.
  place_outcome place(const place_order_request& r, const std::string& idempotency_key,
                      const instrument* inst, bool market_open, timestamp now, write_batch& out);
  // Whether `key` placed an order here before (an empty key never did).
  bool knows_idempotency_key(const std::string& key) const {
    return !key.empty() && idempotency_.count(key) > 0;
  }
  // The batch that recorded a new order failed to commit: forget the order,
  // its notification and its hold, as if it had never been placed.
  void abandon(order_id id, write_batch& out);

  std::variant<order, rejection> request_cancel(order_id id, timestamp now, write_batch& out);
  // The batch that recorded PENDING_CANCEL failed to commit: go back.
  void undo_cancel(order_id id, order_status before, write_batch& out);

  // Applies an execution report exactly once (dedupe by exec_id). Returns the
  // order when it changed.
  std::optional<order> apply_report(const execution_report& r, timestamp now, write_batch& out);

  // Money in and out, in two steps around the payment gateway, each written
  // before the next happens: a PENDING transfer is durable before the gateway
  // is asked (so no money moves that the books would not know of), and its
  // outcome is written before the client hears of it. A deposit adds cash
  // only when collected; a withdrawal holds the amount until paid out.
  transfer begin_deposit(money amount, timestamp now, write_batch& out);
  transfer finish_deposit(int64_t transfer_id, bool collected, const std::string& detail,
                          timestamp now, write_batch& out);
  std::variant<transfer, rejection> begin_withdrawal(money amount, timestamp now, write_batch& out);
  transfer finish_withdrawal(int64_t transfer_id, bool paid, const std::string& detail,
                             timestamp now, write_batch& out);
  // A PENDING transfer whose first write failed: nothing of it is stored and
  // the gateway was never asked, so it goes as if never begun (a withdrawal's
  // hold is released). Writes nothing.
  void forget_transfer(int64_t transfer_id);
  // Transfers still PENDING (after a restart: the gateway is asked again).
  std::vector<transfer> pending_transfers() const;

  // An operator blocks (or unblocks) the user from placing orders.
  user_profile set_trading_blocked(bool blocked, write_batch& out);
  std::variant<user_profile, rejection> submit_kyc(const kyc_request& r, timestamp now,
                                                   write_batch& out);
  void record_kyc_verdict(bool verified, const std::string& reason, write_batch& out);

  // Price alerts. The caller registers an active one with its symbol actor.
  std::variant<price_alert, rejection> create_alert(const alert_request& r, const instrument* inst,
                                                    timestamp now, write_batch& out);
  std::variant<price_alert, rejection> cancel_alert(int64_t id, timestamp now, write_batch& out);
  // A trade crossed it: the alert is TRIGGERED (once; nullopt if it was not active).
  std::optional<price_alert> trigger_alert(int64_t id, money price, timestamp now, write_batch& out);
  // Undo for a batch that failed to commit: forget a new alert, or put back
  // the alert as it was before.
  void forget_alert(int64_t id) { alerts_.erase(id); }
  void restore_alert(const price_alert& before) { alerts_[before.id] = before; }
  const std::map<int64_t, price_alert>& alerts() const { return alerts_; }

  // Notifications are written by the mutation that made the event (placing,
  // a fill, a cancel, a transfer, an alert), into its batch (notify, below).
  // Marks ids (or all) read; answers how many stay unread. An id the user
  // never had is notification_not_found, and nothing is marked.
  std::variant<int64_t, rejection> mark_read(const std::vector<int64_t>& ids, bool all,
                                             write_batch& out);
  int64_t unread_notifications() const { return unread_; }
  // The batch holding the latest notification of `kind` about `reference`
  // failed before it was stored.
  void forget_notification(notification_kind kind, const std::string& reference);

  // History, from memory (the books are read whole at start), newest first.
  // `statement`: only the entries that moved the user's total (deposits,
  // withdrawals paid, fills, opening balances), not holds, releases or
  // settlements: the transactions view.
  journal_page journal_between(timestamp from, timestamp to, int64_t page, int64_t limit,
                               bool statement = false) const;
  notification_page notifications_page(bool unread_only, int64_t page, int64_t limit) const;
  // Cash and shares at the end of each local day in [first_day, last_day],
  // replayed from the journal and the trades.
  std::vector<day_holdings> holdings_by_day(int64_t first_day, int64_t last_day) const;
  // Fills with their charges, oldest first, with `time` in [from, to).
  std::vector<execution_row> trades_between(timestamp from, timestamp to) const;

  const user_profile& profile() const { return profile_; }
  cash_balance cash() const;
  const ledger_totals& ledger() const { return ledger_; }
  const std::map<int64_t, money>& settlement_queue() const { return unsettled_by_day_; }
  const lot_book& lots() const { return lots_; }
  // Gains realized by sales, per symbol, since the first trade.
  const std::map<std::string, money>& realized() const { return realized_; }
  // Every sale, lot by lot, as the lots matched it (the tax report's input).
  const std::vector<realized_lot>& realized_lots() const { return realized_lots_; }
  // Today's (local day of `now`) trading per symbol; empty on a day without trades.
  std::map<std::string, day_position> positions(timestamp now) const;
  money charges_paid() const { return charges_paid_; }
  // Everything the portfolio views need from this book at `now`.
  account_holdings holdings_at(timestamp now) const;
  const book_rules& rules() const { return *rules_; }
  const order* find(order_id id) const;
  const std::map<order_id, order>& orders() const { return orders_; }
  const std::map<std::string, holding>& holdings() const { return holdings_; }
  // An order not yet final, with the exec ids applied to it (replays are
  // dropped by these). A final order takes no reports, so its ids go with it:
  // no per-account set of every execution ever, which grew without bound and
  // rehashed in one go.
  struct working_order {
    order* entry = nullptr; // its entry in orders(): map nodes never move
    std::vector<std::string> applied_exec_ids;
    // An end (cancelled, expired) that counted fills not seen yet: it
    // overtook them, and is applied once they have arrived.
    std::optional<execution_report> overtaken_end;
  };
  // In no particular order.
  const absl::flat_hash_map<order_id, working_order>& working_orders() const { return working_; }

  void audit() const; // checks every invariant; aborts with a message on violation

private:
  // Cheap checks always, and the full audit often enough that its expected
  // cost per mutation is `audit_cost_per_mutation` items of the book.
  void after_mutation();
  // One item: an audit walks orders scattered over memory, and on this VM a
  // walk over cold pages sometimes costs ms (order_bench: 10 us on average,
  // 1-6 ms at times, on the CPU), so it runs no more often than it must.
  static constexpr size_t audit_cost_per_mutation = 1;
  uint64_t mutations_ = 0;

  void set_status(order& o, order_status to);
  // Records a notification and writes it into `out`.
  void notify(notification_kind kind, std::string reference, std::string message, timestamp now,
              write_batch& out);
  // The order is final: give back what it still holds (journaled into `out`).
  void release_holds(order& o, timestamp now, write_batch& out);
  account_row account_row_now() const;

  // Posts one journal entry: asserts it balances, moves the balances, writes it.
  void post(journal_kind kind, std::string reference, timestamp at,
            std::initializer_list<std::pair<ledger_account, money>> legs, write_batch& out);
  // Takes back an entry that was never written (its batch failed).
  void unpost(journal_kind kind, const std::string& reference);
  money ledger_balance(ledger_account a) const { return ledger_[a]; }
  // Draws `amount` from the settlement queue, latest day first; returns the
  // latest day drawn from (0 if nothing).
  int64_t draw_unsettled(money amount, write_batch& out);
  void add_unsettled(int64_t day, money amount, write_batch& out);
  void write_settlement(int64_t day, write_batch& out) const;
  void apply_trade(order& o, const execution_report& r, timestamp now, write_batch& out);
  void notify_report(const order& o, const execution_report& r, timestamp now, write_batch& out);
  void record_trade_in_lots(const execution_row& e, timestamp day_of);
  void write_account(write_batch& out) const { out.accounts.push_back(account_row_now()); }
  void write_holding(const std::string& symbol, write_batch& out) const;

  user_profile profile_;
  std::shared_ptr<const book_rules> rules_;
  ledger_totals ledger_;
  std::map<int64_t, money> unsettled_by_day_; // settlement day -> proceeds due then
  lot_book lots_;
  std::map<std::string, money> realized_; // the sums of realized_lots_ per symbol
  std::vector<realized_lot> realized_lots_;
  int64_t positions_day_ = 0; // the local day positions_ describes
  std::map<std::string, day_position> positions_;
  money charges_paid_ = 0;
  std::shared_ptr<order_id_source> order_ids_;
  int64_t next_transfer_id_ = 1;
  std::map<std::string, holding> holdings_;
  std::map<order_id, order> orders_;
  // Flat hash maps, not trees: every order looks up its key here and every
  // report its order. In a tree of a thousand cold nodes that was ~10 cache
  // misses each, most of place's and apply_report's time; std::unordered_map
  // still chased a node per step and its rehashes walked every node (core_bench
  // account_place_accept/1000/1000). An open-addressed table finds an entry in
  // one or two misses and grows by a sequential copy.
  absl::flat_hash_map<order_id, working_order> working_; // points into orders_
  absl::flat_hash_map<std::string, idempotency_entry> idempotency_;
  // Where, as a fraction of their capacity, these two tables double: per
  // account, so accounts don't copy theirs together (staggered_growth.hpp).
  double table_growth_point_ = 0.875;
  std::map<int64_t, transfer> transfers_;
  std::map<int64_t, price_alert> alerts_;
  std::shared_ptr<order_id_source> journal_ids_;
  std::shared_ptr<order_id_source> notification_ids_;
  // Append-only histories, as deques: they grow with every order, and a
  // vector would copy all of it at each doubling (on the order path).
  std::deque<journal_entry> journal_;      // by id
  std::deque<notification> notifications_; // by id
  int64_t unread_ = 0;
  std::deque<execution_row> trades_;       // in the order applied
};

} // namespace broker
