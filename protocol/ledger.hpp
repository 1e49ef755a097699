#pragma once
// The double-entry journal. Every money movement is one journal entry: signed
// amounts on a fixed set of ledger accounts that sum to zero (asserted here,
// and by a CHECK constraint in the store). A user's balances are the sums of
// their entries; nothing else is the truth about their money.
//
// Signs: a user account's balance is what the broker owes the user; the house
// accounts hold the other side (house_settlement: owed to / by the exchange's
// clearing for trades; house_fees: brokerage earned; statutory_charges: taxes
// and charges collected for others; bank: money that came in from outside,
// so its balance is minus the user's deposits net of withdrawals).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.hpp"

namespace broker {

enum class ledger_account : uint8_t {
  user_cash,         // settled, free: buys, withdrawals
  user_unsettled,    // sale proceeds before settlement: buys only
  user_held,         // reserved for working buy orders and pending withdrawals
  house_settlement,
  house_fees,
  statutory_charges,
  bank,
};
constexpr size_t ledger_account_count = 7;
std::string_view to_string(ledger_account a); // "user_cash", ... (also the store's column names)

enum class journal_kind : uint8_t {
  opening_balance, // money that predates the journal (an upgraded database)
  deposit,
  withdrawal_hold,
  withdrawal,      // paid out
  withdrawal_release, // the payout failed: the hold goes back
  order_hold,
  order_release,   // what a final buy order still held
  buy_fill,
  sell_fill,
  settlement,      // sale proceeds become withdrawable
};
std::string_view to_string(journal_kind k); // "DEPOSIT", "BUY_FILL", ...
std::optional<journal_kind> parse_journal_kind(std::string_view s);

using ledger_amounts = std::array<money, ledger_account_count>;

// One transaction. Ids are node-wide and increasing, like order ids, so the
// store appends each entry at the end of its table (a user's entries are in
// id order; one whose batch failed leaves a gap).
struct journal_entry {
  int64_t id = 0;
  user_id user = 0;
  timestamp at = 0;
  journal_kind kind = journal_kind::deposit;
  std::string reference; // "order:123", "transfer:7", "settlement:2026-11-23"
  ledger_amounts amounts{};

  money& operator[](ledger_account a) { return amounts[static_cast<size_t>(a)]; }
  money operator[](ledger_account a) const { return amounts[static_cast<size_t>(a)]; }
  money sum() const;
  // What the user's own money did: cash + unsettled + held.
  money user_total() const;
};

// A user's balances: the running sums of their entries.
struct ledger_totals {
  user_id user = 0;
  ledger_amounts amounts{};

  money operator[](ledger_account a) const { return amounts[static_cast<size_t>(a)]; }
  void add(const journal_entry& e);
  void subtract(const journal_entry& e); // undo of an entry that was never written
  money sum() const;
};

// One page of a user's journal, newest first.
struct journal_page {
  std::vector<journal_entry> entries;
  int64_t total = 0; // entries matching the range, all pages
};

} // namespace broker
