// The books' invariants (sim/invariants.hpp) as broker-sim checks them: a
// consistent store passes, and each kind of damage is named.
#include <catch2/catch.hpp>

#include "sim/invariants.hpp"

using namespace broker;

namespace {

// One user who deposited 1,000.00 and bought 2 shares at 100.00 with 0.50 of charges.
store_snapshot consistent() {
  store_snapshot s;
  s.accounts.push_back(account_row{7, 100'000 - 20'000 - 50, 2});
  transfer t;
  t.id = 1;
  t.user = 7;
  t.kind = transfer_kind::deposit;
  t.amount = 100'000;
  t.status = transfer_status::completed;
  s.transfers.push_back(t);
  journal_entry dep;
  dep.id = 1;
  dep.user = 7;
  dep.kind = journal_kind::deposit;
  dep[ledger_account::user_cash] = 100'000;
  dep[ledger_account::bank] = -100'000;
  journal_entry buy;
  buy.id = 2;
  buy.user = 7;
  buy.kind = journal_kind::buy_fill;
  buy[ledger_account::user_cash] = -20'050;
  buy[ledger_account::house_settlement] = 20'000;
  buy[ledger_account::house_fees] = 50;
  s.journal = {dep, buy};
  order o;
  o.id = 11;
  o.user = 7;
  o.symbol = "TCS";
  o.quantity = 2;
  o.status = order_status::filled;
  o.filled_quantity = 2;
  o.filled_value = 20'000;
  o.fees = 50;
  s.orders.push_back(o);
  execution_row e;
  e.user = 7;
  e.symbol = "TCS";
  e.report.exec_id = "X-1";
  e.report.client_order_id = 11;
  e.report.kind = exec_kind::trade;
  e.report.last_quantity = 2;
  e.report.last_price = 10'000;
  e.fees.brokerage = 50;
  s.executions.push_back(e);
  s.holdings.push_back(holding_row{7, holding{"TCS", 2, 0, 20'000}});
  return s;
}

std::string first_broken(const store_snapshot& s) {
  auto v = sim::check_books(s);
  return v.empty() ? "" : v.front().invariant;
}

} // namespace

TEST_CASE("invariants: consistent books pass", "[invariants]") {
  auto v = sim::check_books(consistent());
  INFO(sim::describe(v));
  CHECK(v.empty());
}

TEST_CASE("invariants: each kind of damage is named", "[invariants]") {
  auto s = consistent();
  s.journal[1][ledger_account::house_fees] = 49; // a paisa lost
  CHECK(first_broken(s) == "journal_balanced");

  s = consistent();
  s.accounts[0].cash += 1;
  CHECK(first_broken(s) == "account_row");

  s = consistent();
  s.transfers[0].amount = 90'000; // money out of nowhere
  CHECK(first_broken(s) == "money_conserved");

  s = consistent();
  s.executions.push_back(s.executions[0]); // applied twice
  auto v = sim::check_books(s);
  CHECK(std::any_of(v.begin(), v.end(), [](auto& x) { return x.invariant == "executions_once"; }));
  CHECK(std::any_of(v.begin(), v.end(), [](auto& x) { return x.invariant == "fills_add_up"; }));

  s = consistent();
  s.holdings[0].position.held_quantity = 1; // no working sell holds it
  CHECK(first_broken(s) == "holdings");

  s = consistent();
  s.orders[0].status = order_status::open; // working with nothing left
  CHECK(first_broken(s) == "fills_add_up");

  s = consistent();
  s.journal[0][ledger_account::user_cash] = -100'000; // overdrawn (and the bank owes the user)
  s.journal[0][ledger_account::bank] = 100'000;
  s.accounts[0].cash = -100'000 - 20'050;
  v = sim::check_books(s);
  CHECK(std::any_of(v.begin(), v.end(), [](auto& x) { return x.invariant == "no_negative_money"; }));
}

namespace {

// What the exchange said of order 11 of consistent(): accepted, then filled at once.
std::vector<execution_report> exchange_of_consistent() {
  execution_report accepted;
  accepted.exec_id = "X-0";
  accepted.client_order_id = 11;
  accepted.account = 7;
  accepted.kind = exec_kind::accepted;
  accepted.leaves_quantity = 2;
  auto fill = consistent().executions[0].report;
  fill.cum_quantity = 2;
  return {accepted, fill};
}

std::string against_exchange(const store_snapshot& s, const std::vector<execution_report>& x) {
  auto v = sim::check_against_exchange(s, x);
  return sim::describe(v);
}

} // namespace

TEST_CASE("invariants: books held against the exchange's records", "[invariants]") {
  auto s = consistent();
  auto x = exchange_of_consistent();
  CHECK(against_exchange(s, x).empty());

  auto extra = s; // a fill the exchange never made
  extra.executions[0].report.exec_id = "X-9";
  CHECK_THAT(against_exchange(extra, x), Catch::Contains("fill X-9 the exchange never made")
                                           && Catch::Contains("lacks the exchange's fill X-1"));

  auto priced = x; // the same fill, another price
  priced[1].last_price = 10'005;
  CHECK_THAT(against_exchange(s, priced), Catch::Contains("fill X-1 of order 11 is 2 @ 10000 in the books, 2 @ 10005"));

  auto partial = x; // the exchange filled one and still works the other
  partial[1].last_quantity = 1;
  partial[1].cum_quantity = 1;
  partial[1].leaves_quantity = 1;
  auto v = sim::check_against_exchange(s, partial);
  REQUIRE(v.size() == 3);
  CHECK(v[0].invariant == "books_match_exchange");
  CHECK_THAT(sim::describe(v), Catch::Contains("has 2 filled, the exchange 1")
                                 && Catch::Contains("is FILLED in the books and working at the exchange"));

  auto unsent = s; // an order the exchange never had, still working in the books
  unsent.orders[0].status = order_status::open;
  CHECK_THAT(against_exchange(unsent, {}), Catch::Contains("never reached the exchange and is OPEN"));
  auto refused = s;
  refused.orders[0].status = order_status::rejected;
  refused.orders[0].filled_quantity = 0;
  refused.executions.clear();
  CHECK(against_exchange(refused, {}).empty());
}
