#pragma once
// The invariants of the broker's books, checked on what the store holds (the
// state that survives a crash): the one place broker-sim and the tests check
// them. Each names itself, so a failing simulation seed says which broke.
//
//   journal_balanced     every journal entry's amounts sum to zero
//   no_negative_money    per user: settled cash, unsettled and held cash >= 0
//   account_row          the account row's cash equals the journal's user total
//   money_conserved      per user: cash = deposits - withdrawals - buys + sells - charges
//   held_cash            per user: held = what working buys hold + pending withdrawals
//   fills_add_up         per order: filled <= quantity, filled = its trades, value = their sum,
//                        charges = their charges; a working order has leaves > 0
//   executions_once      no execution id twice
//   holdings             per user and symbol: shares = bought - sold, held = leaves of
//                        working sells, 0 <= held <= shares
//
// And, once the broker and the exchange are quiet, against the exchange's
// own records (every report it made), check_against_exchange:
//   books_match_exchange every fill the exchange made is in the books once, with its
//                        quantity and price, and the books have no other; each order's
//                        filled quantity and end (filled, cancelled, expired, rejected,
//                        still working) are the exchange's; an order the exchange never
//                        had ended unfilled
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace broker::sim {

struct invariant_violation {
  std::string invariant; // one of the names above
  std::string detail;    // the user, order or entry, and the figures
};

// Every violation in `s` (empty: all hold), at most `limit` of them.
std::vector<invariant_violation> check_books(const store_snapshot& s, size_t limit = 20);

// `exchange` is every report the exchange made, in order (replays excluded).
std::vector<invariant_violation> check_against_exchange(const store_snapshot& s,
                                                        const std::vector<execution_report>& exchange,
                                                        size_t limit = 20);

// "invariant: detail" lines, for logs and failing tests.
std::string describe(const std::vector<invariant_violation>& v);

} // namespace broker::sim
