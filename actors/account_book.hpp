#pragma once
// The books of one user: cash, holds, holdings, orders, transfers, KYC and
// idempotency keys. Plain C++ (no actors): the account actor owns exactly one
// and is its only caller, so every mutation here happens alone and in order.
//
// Each mutation appends the rows it changed to a write_batch; the actor hands
// that batch to persistence and answers the client once it has committed.
//
// Invariants (audit(), always on, also in release builds; after every mutation
// while the book is small, amortized over mutations once it is large):
//   cash.available >= 0 and cash.held >= 0
//   cash.held == sum(held_cash of working buy orders) + sum(pending withdrawals)
//   per holding: 0 <= held_quantity <= quantity,
//                held_quantity == sum(leaves of working sell orders in that symbol)
//   per order:   filled_quantity <= quantity; a final order holds nothing
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <variant>
#include <vector>

#include "actors/order_ids.hpp"
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
  std::vector<std::string> exec_ids;
  std::vector<transfer> transfers;
  std::vector<idempotency_entry> idempotency;
  std::vector<price_alert> alerts;
};

struct place_outcome {
  std::variant<order, rejection> result;
  bool replayed = false; // an earlier order returned for a repeated Idempotency-Key
};

class account_book {
public:
  // Order ids come from `ids` (the node's); without one (a book on its own, in
  // tests) the book numbers its orders itself, after the highest it holds.
  explicit account_book(account_seed seed, std::shared_ptr<order_id_source> ids = nullptr);

  // Validates and, if it passes, records a PENDING order with its cash or
  // shares held. `inst` is null for an unknown symbol.
  place_outcome place(const place_order_request& r, const std::string& idempotency_key,
                      const instrument* inst, bool market_open, timestamp now, write_batch& out);
  // The batch that recorded a new order failed to commit: forget the order
  // and release its hold, as if it had never been placed.
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

  const user_profile& profile() const { return profile_; }
  const cash_balance& cash() const { return cash_; }
  const order* find(order_id id) const;
  const std::map<order_id, order>& orders() const { return orders_; }
  const std::map<std::string, holding>& holdings() const { return holdings_; }
  const std::set<order_id>& working_orders() const { return working_; }

  void audit() const; // checks every invariant; aborts with a message on violation

private:
  // Cheap checks always, and the full audit often enough that its cost per
  // mutation is at most `audit_cost_per_mutation` items of the book.
  void after_mutation();
  static constexpr size_t audit_cost_per_mutation = 4;
  size_t mutations_since_audit_ = 0;

  void set_status(order& o, order_status to);
  void release_holds(order& o); // the order is final: give back what it still holds
  account_row account_row_now() const;
  void write_account(write_batch& out) const { out.accounts.push_back(account_row_now()); }
  void write_holding(const std::string& symbol, write_batch& out) const;

  user_profile profile_;
  cash_balance cash_;
  std::shared_ptr<order_id_source> order_ids_;
  int64_t next_transfer_id_ = 1;
  std::map<std::string, holding> holdings_;
  std::map<order_id, order> orders_;
  std::set<order_id> working_;             // orders not yet final
  std::unordered_set<std::string> exec_ids_; // every execution applied
  std::map<std::string, idempotency_entry> idempotency_;
  std::map<int64_t, transfer> transfers_;
  std::map<int64_t, price_alert> alerts_;
};

} // namespace broker
