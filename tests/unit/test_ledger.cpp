// The accounting core against hand-worked figures: the fee schedule, T+N
// settlement across a weekend and a holiday, and one account's journal
// through a buy, a sale, a purchase from unsettled proceeds and settlement.
#include <catch2/catch.hpp>

#include <limits>

#include "actors/account_book.hpp"
#include "protocol/fees.hpp"
#include "protocol/ledger.hpp"
#include "protocol/market_calendar.hpp"

using namespace broker;

namespace {

constexpr user_id me = 11;

// Local times (IST) of the scenario: Republic Day, Monday 2026-01-26, is a holiday.
constexpr timestamp fri_1000 = 1769142600000000000;   // 2026-01-23 10:00 IST
constexpr timestamp sat_1000 = 1769229000000000000;   // 2026-01-24 10:00 IST
constexpr timestamp mon_2359 = 1769452140000000000;   // 2026-01-26 23:59 IST
constexpr timestamp tue_0001 = 1769452260000000000;   // 2026-01-27 00:01 IST
constexpr int64_t minute = 60'000'000'000;

fee_schedule nse_delivery() {
  fee_schedule f;
  f.brokerage_rate = *parse_percent_rate("0.03");
  f.brokerage_max = 2000;
  f.stt_rate = *parse_percent_rate("0.1");
  f.exchange_rate = *parse_percent_rate("0.00297");
  f.sebi_rate = *parse_percent_rate("0.0001");
  f.stamp_rate = *parse_percent_rate("0.015");
  f.gst_rate = *parse_percent_rate("18");
  return f;
}

market_calendar republic_day_calendar() {
  calendar_rules r;
  r.holidays = {"2026-01-26"};
  return market_calendar{r};
}

instrument reliance() {
  instrument i;
  i.symbol = "RELIANCE";
  i.name = "Reliance Industries";
  i.reference_price = 245000;
  return i;
}

place_order_request limit(side s, int64_t qty, money price) {
  place_order_request r;
  r.symbol = "RELIANCE";
  r.side = s;
  r.type = order_type::limit;
  r.quantity = qty;
  r.price = price;
  return r;
}

execution_report report(order_id id, exec_kind kind, const std::string& exec_id, int64_t qty = 0,
                        money price = 0) {
  execution_report r;
  r.exec_id = exec_id;
  r.client_order_id = id;
  r.kind = kind;
  r.last_quantity = qty;
  r.last_price = price;
  return r;
}

// The legs of an entry as {account: amount}, zeros left out.
std::map<std::string, money> legs(const journal_entry& e) {
  std::map<std::string, money> out;
  for (size_t i = 0; i < ledger_account_count; ++i)
    if (e.amounts[i] != 0)
      out[std::string{to_string(static_cast<ledger_account>(i))}] = e.amounts[i];
  return out;
}

const journal_entry& only_entry(const write_batch& b, journal_kind k) {
  const journal_entry* found = nullptr;
  for (auto& e : b.journal)
    if (e.kind == k) {
      REQUIRE(found == nullptr);
      found = &e;
    }
  REQUIRE(found != nullptr);
  return *found;
}

} // namespace

TEST_CASE("charges: hand-worked NSE delivery figures", "[ledger][fees]") {
  auto f = nse_delivery();
  // Buy 10 at 2450.00 = 24,500.00: brokerage 7.35, STT 24.50, exchange 0.72
  // (0.72765 rounded down), SEBI 0.02, stamp 3.67, GST 18% of 8.09 = 1.45.
  auto buy = charges_for(f, side::buy, 2'450'000);
  CHECK(buy == fee_breakdown{735, 2450, 72, 2, 367, 145});
  CHECK(buy.total() == 3771);
  CHECK(buy.statutory() == 3036);
  // A sale pays no stamp duty.
  CHECK(charges_for(f, side::sell, 2'450'000) == fee_breakdown{735, 2450, 72, 2, 0, 145});
  // 1,00,000.00: 0.03% would be 30.00, the cap is 20.00.
  CHECK(charges_for(f, side::buy, 10'000'000).brokerage == 2000);
  CHECK(charges_for(f, side::buy, 0).total() == 0);
  // Per order, on the cumulative value: 3 fills pay what one fill would.
  money v1 = 3 * 244'000, v2 = 10 * 244'000;
  auto first = charges_for(f, side::buy, v1);
  auto rest = charges_for(f, side::buy, v2).minus(first);
  CHECK(first.total() + rest.total() == charges_for(f, side::buy, v2).total());
  CHECK(first.total() == 1124);
  CHECK(rest.total() == 3757 - 1124);
  CHECK(f.effective_rate() < rate_denominator / 100); // well under 1%

  CHECK(parse_percent_rate("0.00297") == 2970);
  CHECK(parse_percent_rate("100") == 100'000'000);
  CHECK_FALSE(parse_percent_rate("-1").has_value());
  CHECK_FALSE(parse_percent_rate("100.5").has_value());
  CHECK_FALSE(parse_percent_rate("0.0000001").has_value());
  CHECK_FALSE(parse_percent_rate("1e-3").has_value());
}

TEST_CASE("settlement days skip weekends and holidays", "[ledger][settlement]") {
  auto cal = republic_day_calendar();
  // Friday's trade settles T+1 on Tuesday: Saturday, Sunday and Monday's holiday skipped.
  CHECK(cal.date_of_day(cal.settlement_day(fri_1000, 1)) == "2026-01-27");
  CHECK(cal.date_of_day(cal.settlement_day(fri_1000, 2)) == "2026-01-28");
  CHECK(cal.date_of_day(cal.settlement_day(fri_1000, 0)) == "2026-01-23");
  // A trade on a Saturday (the shipped market never closes) counts from Saturday.
  CHECK(cal.date_of_day(cal.settlement_day(sat_1000, 1)) == "2026-01-27");
  // Without the holiday, Monday.
  market_calendar plain{calendar_rules{}};
  CHECK(plain.date_of_day(plain.settlement_day(fri_1000, 1)) == "2026-01-26");
  // Local days turn at local midnight, not UTC's.
  CHECK(cal.local_day(mon_2359) + 1 == cal.local_day(tue_0001));
  CHECK(cal.day_start(cal.local_day(tue_0001)) == tue_0001 - minute);
}

TEST_CASE("a buy, a sale, a purchase from unsettled proceeds, and T+1 settlement",
          "[ledger][settlement][account]") {
  auto rules = std::make_shared<book_rules>();
  rules->fees = nse_delivery();
  rules->calendar = republic_day_calendar();
  rules->settlement_days = 1;
  account_seed seed;
  seed.profile.id = me;
  seed.profile.kyc = kyc_status::verified;
  seed.account.user = me;
  give_opening_balance(seed, 10'000'000); // 1,00,000.00
  account_book book{seed, {}, rules};
  auto inst = reliance();

  // Buy 10 at up to 2450.00: the hold covers the worst price and its charges.
  write_batch b1;
  auto buy = std::get<order>(book.place(limit(side::buy, 10, 245000), "", &inst, true, fri_1000, b1).result);
  CHECK(buy.held_cash == 2'453'771);
  CHECK(legs(only_entry(b1, journal_kind::order_hold))
        == std::map<std::string, money>{{"user_cash", -2'453'771}, {"user_held", 2'453'771}});
  CHECK(only_entry(b1, journal_kind::order_hold).reference == "order:" + std::to_string(buy.id));

  // Filled at 2440.00: 24,400.00 to the exchange, 7.32 brokerage, 30.25
  // statutory; the unused 100.14 of the hold comes back.
  write_batch b2;
  auto filled = book.apply_report(report(buy.id, exec_kind::trade, "T1", 10, 244000), fri_1000, b2);
  REQUIRE(filled);
  CHECK(filled->status == order_status::filled);
  CHECK(filled->fees == 3757);
  CHECK(legs(only_entry(b2, journal_kind::buy_fill))
        == std::map<std::string, money>{{"user_held", -2'443'757}, {"house_settlement", 2'440'000},
                                        {"house_fees", 732}, {"statutory_charges", 3025}});
  CHECK(legs(only_entry(b2, journal_kind::order_release))
        == std::map<std::string, money>{{"user_held", -10'014}, {"user_cash", 10'014}});
  REQUIRE(b2.executions.size() == 1);
  CHECK(b2.executions[0].fees == fee_breakdown{732, 2440, 72, 2, 366, 145});
  CHECK(book.cash().withdrawable == 10'000'000 - 2'443'757);
  CHECK(book.holdings().at("RELIANCE").cost_basis == 2'440'000); // lots at the price, charges apart

  // Sold at 2500.00 an hour later: 24,965.26 net of 34.74 charges, unsettled until Tuesday.
  write_batch b3;
  timestamp fri_1100 = fri_1000 + 60 * minute;
  auto sell = std::get<order>(book.place(limit(side::sell, 10, 250000), "", &inst, true, fri_1100, b3).result);
  REQUIRE(book.apply_report(report(sell.id, exec_kind::trade, "T2", 10, 250000), fri_1100, b3));
  CHECK(legs(only_entry(b3, journal_kind::sell_fill))
        == std::map<std::string, money>{{"house_settlement", -2'500'000}, {"user_unsettled", 2'496'526},
                                        {"house_fees", 750}, {"statutory_charges", 2724}});
  auto due = rules->calendar.settlement_day(fri_1100, 1);
  CHECK(book.settlement_queue() == std::map<int64_t, money>{{due, 2'496'526}});
  CHECK(book.realized().at("RELIANCE") == 60'000); // 10 x (2500 - 2440), before charges
  auto c = book.cash();
  CHECK(c.withdrawable == 7'556'243);
  CHECK(c.unsettled == 2'496'526);
  CHECK(c.available == 7'556'243 + 2'496'526);

  // Withdrawing unsettled money is refused, and says why.
  write_batch b4;
  auto refused = book.begin_withdrawal(8'000'000, sat_1000, b4);
  REQUIRE(std::holds_alternative<rejection>(refused));
  CHECK(std::get<rejection>(refused).reason == reject_reason::insufficient_withdrawable);
  CHECK(std::get<rejection>(refused).message.find("settle") != std::string::npos);
  CHECK(b4.journal.empty());

  // Saturday: buying spends the unsettled proceeds first; cancelled, they go
  // back to wait for Tuesday, not into withdrawable cash.
  write_batch b5;
  auto again = std::get<order>(book.place(limit(side::buy, 10, 245000), "", &inst, true, sat_1000, b5).result);
  CHECK(again.held_unsettled == 2'453'771);
  CHECK(again.unsettled_due == due);
  CHECK(book.cash().withdrawable == 7'556'243);
  CHECK(book.cash().unsettled == 2'496'526 - 2'453'771);
  REQUIRE(book.apply_report(report(again.id, exec_kind::cancelled, "C1"), sat_1000, b5));
  CHECK(legs(only_entry(b5, journal_kind::order_release))
        == std::map<std::string, money>{{"user_held", -2'453'771}, {"user_unsettled", 2'453'771}});
  CHECK(book.settlement_queue().at(due) == 2'496'526);

  // Nothing settles on the Monday holiday; Tuesday it does.
  write_batch b6;
  book.settle_due(mon_2359, b6);
  CHECK(b6.journal.empty());
  CHECK(book.cash().withdrawable == 7'556'243);
  book.settle_due(tue_0001, b6);
  auto& settled = only_entry(b6, journal_kind::settlement);
  CHECK(legs(settled) == std::map<std::string, money>{{"user_unsettled", -2'496'526}, {"user_cash", 2'496'526}});
  CHECK(settled.reference == "settlement:2026-01-27");
  CHECK(settled.at == tue_0001 - minute); // local midnight
  CHECK(book.settlement_queue().empty());
  REQUIRE_FALSE(b6.settlements.empty());
  CHECK(b6.settlements.back().amount == 0);
  CHECK(book.cash().withdrawable == 10'052'769);
  CHECK(std::holds_alternative<transfer>(book.begin_withdrawal(book.cash().withdrawable, tue_0001, b6)));

  // Every entry balanced, and the ids run on without reuse.
  int64_t expected_id = 2; // 1 was the opening balance
  for (auto* b : {&b1, &b2, &b3, &b5, &b6})
    for (auto& e : b->journal) {
      CHECK(e.sum() == 0);
      CHECK(e.id == expected_id++);
    }
  // The history, newest first, holds exactly those, and pages split it.
  auto history = book.journal_between(0, std::numeric_limits<timestamp>::max(), 1, 100);
  CHECK(history.total == expected_id - 1);
  CHECK(history.entries.front().kind == journal_kind::withdrawal_hold);
  CHECK(history.entries.back().kind == journal_kind::opening_balance);
  auto second = book.journal_between(0, std::numeric_limits<timestamp>::max(), 2, 3);
  REQUIRE(second.entries.size() == 3);
  CHECK(second.entries[0].id == history.entries[3].id);
}

TEST_CASE("an order whose batch failed takes back its unwritten hold, proceeds and all",
          "[ledger][account]") {
  auto rules = std::make_shared<book_rules>();
  rules->calendar = republic_day_calendar();
  account_seed seed;
  seed.profile.id = me;
  seed.profile.kyc = kyc_status::verified;
  seed.account.user = me;
  give_opening_balance(seed, 1'000'000);
  seed.holdings.push_back(holding{"RELIANCE", 10, 0, 2'400'000}); // from before lots were kept
  account_book book{seed, {}, rules};
  auto inst = reliance();
  write_batch w;
  auto sell = std::get<order>(book.place(limit(side::sell, 10, 250000), "", &inst, true, fri_1000, w).result);
  REQUIRE(book.apply_report(report(sell.id, exec_kind::trade, "T1", 10, 250000), fri_1000, w));
  auto before = book.ledger();
  auto queue_before = book.settlement_queue();

  write_batch failed;
  auto buy = std::get<order>(book.place(limit(side::buy, 14, 245000), "", &inst, true, sat_1000, failed).result);
  CHECK(buy.held_unsettled == 2'500'000); // all the proceeds, then 9,300.00 of cash
  CHECK(book.cash().withdrawable == 1'000'000 - 930'000);
  CHECK(book.cash().unsettled == 0);
  write_batch undo;
  book.abandon(buy.id, undo);
  CHECK(book.ledger().amounts == before.amounts);
  CHECK(book.settlement_queue() == queue_before);
  CHECK(undo.journal.empty());       // the hold was never written, so nor is its undo
  for (auto& e : book.journal_between(0, std::numeric_limits<timestamp>::max(), 1, 100).entries)
    CHECK(e.kind != journal_kind::order_hold); // and it left the history
  REQUIRE(undo.settlements.size() == 1); // but the queue the failed batch drew from is rewritten
  CHECK(undo.settlements[0].amount == 2'500'000);
  book.audit();
}

TEST_CASE("notifications: one per event, none for a replayed report; marking read", "[account][notifications]") {
  account_seed seed;
  seed.profile.id = me;
  seed.profile.kyc = kyc_status::verified;
  seed.account.user = me;
  give_opening_balance(seed, 10'000'000);
  account_book book{seed};
  auto inst = reliance();
  write_batch w;
  auto o = std::get<order>(book.place(limit(side::buy, 10, 245000), "", &inst, true, fri_1000, w).result);
  // "Placed" rides in the order's own batch: stored with it, or not at all.
  REQUIRE(w.notifications.size() == 1);
  CHECK(w.notifications[0].kind == notification_kind::order_placed);
  CHECK(w.notifications[0].message == "Order placed: BUY 10 RELIANCE LIMIT");
  CHECK(w.notifications[0].reference == "order:" + std::to_string(o.id));
  {
    // A batch that failed takes its order's notification with it.
    write_batch lost, undo;
    auto gone = std::get<order>(book.place(limit(side::buy, 1, 245000), "", &inst, true, fri_1000, lost).result);
    CHECK(book.unread_notifications() == 2);
    book.abandon(gone.id, undo);
    CHECK(book.unread_notifications() == 1);
    CHECK(book.notifications_page(false, 1, 10).entries.front().reference
          == "order:" + std::to_string(o.id));
  }

  write_batch f1;
  REQUIRE(book.apply_report(report(o.id, exec_kind::trade, "T1", 4, 244000), fri_1000, f1));
  REQUIRE(f1.notifications.size() == 1);
  CHECK(f1.notifications[0].kind == notification_kind::order_partially_filled);
  CHECK(f1.notifications[0].message == "Bought 4 RELIANCE at 2440.00 (4 of 10 filled)");
  CHECK(f1.notifications[0].reference == "order:" + std::to_string(o.id));
  write_batch again;
  CHECK_FALSE(book.apply_report(report(o.id, exec_kind::trade, "T1", 4, 244000), fri_1000, again));
  CHECK(again.notifications.empty()); // the replay made none
  write_batch f2;
  REQUIRE(book.apply_report(report(o.id, exec_kind::trade, "T2", 6, 244000), fri_1000, f2));
  REQUIRE(f2.notifications.size() == 1);
  CHECK(f2.notifications[0].kind == notification_kind::order_filled);
  CHECK(f2.notifications[0].id == f1.notifications[0].id + 1);

  auto t = book.begin_deposit(50'000, fri_1000, w);
  write_batch d;
  book.finish_deposit(t.id, false, "card declined", fri_1000, d);
  REQUIRE(d.notifications.size() == 1);
  CHECK(d.notifications[0].kind == notification_kind::deposit);
  CHECK(d.notifications[0].message == "Deposit of 500.00 failed: card declined");
  CHECK(book.unread_notifications() == 4);

  write_batch m;
  auto missing = book.mark_read({f1.notifications[0].id, 99}, false, m);
  REQUIRE(std::holds_alternative<rejection>(missing));
  CHECK(std::get<rejection>(missing).reason == reject_reason::notification_not_found);
  CHECK(m.notification_reads.empty()); // nothing marked
  CHECK(std::get<int64_t>(book.mark_read({f1.notifications[0].id}, false, m)) == 3);
  CHECK(std::get<int64_t>(book.mark_read({f1.notifications[0].id}, false, m)) == 3); // once is enough
  REQUIRE(m.notification_reads.size() == 1);
  CHECK(std::get<int64_t>(book.mark_read({}, true, m)) == 0);
  CHECK(m.notification_reads.size() == 4); // one per notification read, by id
  auto page = book.notifications_page(false, 1, 10);
  CHECK(page.total == 4);
  CHECK(page.unread == 0);
  CHECK(page.entries.front().kind == notification_kind::deposit); // newest first
}

TEST_CASE("performance: holdings at each day's end, valued at that day's close", "[ledger][portfolio]") {
  auto rules = std::make_shared<book_rules>();
  rules->calendar = republic_day_calendar();
  account_seed seed;
  seed.profile.id = me;
  seed.profile.kyc = kyc_status::verified;
  seed.account.user = me;
  account_book book{seed, {}, rules};
  auto inst = reliance();
  auto& cal = rules->calendar;
  int64_t fri = cal.local_day(fri_1000);
  write_batch w;
  auto t = book.begin_deposit(1'000'000, fri_1000, w);
  book.finish_deposit(t.id, true, "ok", fri_1000, w);
  auto o = std::get<order>(book.place(limit(side::buy, 2, 245000), "", &inst, true, sat_1000, w).result);
  auto fill = report(o.id, exec_kind::trade, "T1", 2, 240000);
  fill.time = sat_1000;
  REQUIRE(book.apply_report(fill, sat_1000, w));

  auto days = book.holdings_by_day(fri - 1, fri + 2); // Thursday .. Sunday
  REQUIRE(days.size() == 4);
  CHECK(days[0].cash == 0);
  CHECK(days[0].quantities.empty());
  CHECK(days[1].cash == 1'000'000);            // Friday: the deposit
  CHECK(days[1].quantities.empty());
  CHECK(days[2].cash == 1'000'000 - 480'000);  // Saturday: bought 2 at 2400.00 (no charges here)
  CHECK(days[2].quantities == std::map<std::string, int64_t>{{"RELIANCE", 2}});
  CHECK(days[3].quantities == days[2].quantities);

  auto values = value_days(days, [&](const std::string&, int64_t day) -> money {
    return day == fri + 2 ? 250000 : 245000; // Sunday's close is higher
  });
  CHECK(values[1].value == 1'000'000);
  CHECK(values[2].value == 520'000 + 2 * 245000);
  CHECK(values[3].holdings_value == 2 * 250000);
  CHECK(values[3].value == 520'000 + 500'000);
}
