#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <random>

#include <unistd.h>

#include "actors/account_book.hpp"
#include "actors/directory.hpp"
#include "sim/invariants.hpp"
#include "storage/sqlite_store.hpp"

using namespace broker;

namespace {

constexpr user_id me = 7;

instrument reliance() {
  instrument i;
  i.symbol = "RELIANCE";
  i.name = "Reliance Industries";
  i.tick_size = 5;
  i.lot_size = 1;
  i.reference_price = 245000; // band 1960.00 .. 2940.00
  i.band_percent = 20;
  return i;
}

account_book funded_book(money cash, kyc_status kyc = kyc_status::verified) {
  account_seed seed;
  seed.profile.id = me;
  seed.profile.email = "me@example.com";
  seed.profile.kyc = kyc;
  seed.account.user = me;
  give_opening_balance(seed, cash);
  return account_book{std::move(seed)};
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

place_order_request market(side s, int64_t qty) {
  place_order_request r;
  r.symbol = "RELIANCE";
  r.side = s;
  r.type = order_type::market;
  r.quantity = qty;
  return r;
}

struct exec_ids {
  int next = 1;
  execution_report make(order_id id, exec_kind kind, int64_t qty = 0, money px = 0,
                        int64_t cum = 0, int64_t leaves = 0) {
    execution_report r;
    r.exec_id = "E" + std::to_string(next++);
    r.client_order_id = id;
    r.exchange_order_id = "X" + std::to_string(id);
    r.kind = kind;
    r.last_quantity = qty;
    r.last_price = px;
    r.cum_quantity = cum;
    r.leaves_quantity = leaves;
    return r;
  }
};

std::vector<order_id> sorted_working_ids(const account_book& b) {
  std::vector<order_id> ids;
  for (auto& [id, _] : b.working_orders())
    ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

order placed(const place_outcome& out) {
  if (auto rej = std::get_if<rejection>(&out.result))
    FAIL("rejected: " << code_of(rej->reason) << " " << rej->message);
  return std::get<order>(out.result);
}

reject_reason rejected(const place_outcome& out) {
  REQUIRE(std::holds_alternative<rejection>(out.result));
  return std::get<rejection>(out.result).reason;
}

// NSE equity delivery, as config/brokerd.ini ships it.
fee_schedule nse_delivery_fees() {
  fee_schedule f;
  f.brokerage_rate = 30'000; // 0.03 %
  f.brokerage_max = 2000;    // 20.00 per order
  f.stt_rate = 100'000;      // 0.1 %
  f.exchange_rate = 2'970;   // 0.00297 %
  f.sebi_rate = 100;         // 0.0001 %
  f.stamp_rate = 15'000;     // 0.015 %, buys
  f.gst_rate = 18'000'000;   // 18 %
  return f;
}

} // namespace

TEST_CASE("orders are refused before any hold when a rule fails", "[account]") {
  auto inst = reliance();
  write_batch out;
  SECTION("KYC not verified") {
    auto book = funded_book(10'000'000, kyc_status::pending);
    CHECK(rejected(book.place(limit(side::buy, 1, 245000), "", &inst, true, 1, out))
          == reject_reason::kyc_not_verified);
    CHECK(book.cash().held == 0);
  }
  auto book = funded_book(1'000'000); // 10,000.00
  CHECK(rejected(book.place(limit(side::buy, 1, 245000), "", nullptr, true, 1, out)) == reject_reason::unknown_symbol);
  CHECK(rejected(book.place(limit(side::buy, 1, 245000), "", &inst, false, 1, out)) == reject_reason::market_closed);
  CHECK(rejected(book.place(limit(side::buy, 1, 245003), "", &inst, true, 1, out)) == reject_reason::invalid_tick_size);
  CHECK(rejected(book.place(limit(side::buy, 1, 195995), "", &inst, true, 1, out)) == reject_reason::outside_price_band);
  CHECK(rejected(book.place(limit(side::buy, 1, 294005), "", &inst, true, 1, out)) == reject_reason::outside_price_band);
  CHECK(rejected(book.place(limit(side::buy, 5, 245000), "", &inst, true, 1, out)) == reject_reason::insufficient_funds);
  CHECK(rejected(book.place(limit(side::sell, 1, 245000), "", &inst, true, 1, out)) == reject_reason::insufficient_holdings);
  // A market buy holds at the top of the band: 4 * 2940 > 10,000.
  CHECK(rejected(book.place(market(side::buy, 4), "", &inst, true, 1, out)) == reject_reason::insufficient_funds);
  CHECK(out.empty());
  CHECK(book.cash().available == 1'000'000);
  CHECK(book.orders().empty());
}

TEST_CASE("a buy holds cash, fills spend it, the rest is released", "[account]") {
  auto inst = reliance();
  auto book = funded_book(1'000'000);
  write_batch out;
  auto o = placed(book.place(limit(side::buy, 3, 245000), "", &inst, true, 1, out));
  CHECK(o.status == order_status::pending);
  CHECK(o.held_cash == 735000);
  CHECK(book.cash().available == 265000);
  CHECK(book.cash().held == 735000);
  CHECK(out.orders.size() == 1);
  CHECK(out.accounts.empty()); // a hold is recorded on the order; the total is unchanged

  exec_ids ex;
  book.apply_report(ex.make(o.id, exec_kind::accepted, 0, 0, 0, 3), 2, out);
  CHECK(book.find(o.id)->status == order_status::open);
  // Two shares at 2440.00: cheaper than the limit.
  book.apply_report(ex.make(o.id, exec_kind::trade, 2, 244000, 2, 1), 3, out);
  CHECK(book.find(o.id)->status == order_status::partially_filled);
  CHECK(book.cash().held == 735000 - 488000);
  CHECK(book.holdings().at("RELIANCE").quantity == 2);
  // The last share at 2450.00 finishes it; 2 * 10.00 of unused hold comes back.
  book.apply_report(ex.make(o.id, exec_kind::trade, 1, 245000, 3, 0), 4, out);
  auto& done = *book.find(o.id);
  CHECK(done.status == order_status::filled);
  CHECK(done.held_cash == 0);
  CHECK(book.cash().held == 0);
  CHECK(book.cash().available == 1'000'000 - 488000 - 245000);
  CHECK(book.holdings().at("RELIANCE").cost_basis == 733000);
  CHECK(book.working_orders().empty());
}

TEST_CASE("an execution report is applied once however often it arrives", "[account]") {
  auto inst = reliance();
  auto book = funded_book(1'000'000);
  write_batch out;
  auto o = placed(book.place(limit(side::buy, 2, 245000), "", &inst, true, 1, out));
  exec_ids ex;
  auto fill = ex.make(o.id, exec_kind::trade, 1, 245000, 1, 1);
  CHECK(book.apply_report(fill, 2, out).has_value());
  CHECK_FALSE(book.apply_report(fill, 3, out).has_value());
  CHECK(book.find(o.id)->filled_quantity == 1);
  CHECK(book.holdings().at("RELIANCE").quantity == 1);
  CHECK(out.executions.size() == 1);
}

// Found by broker-sim (exchange-reorder): the cancel of an order's unfilled
// rest overtook its last fill, the order was final when the fill came, and
// the fill was lost while the exchange had made it.
TEST_CASE("an end that overtook its fills waits for them", "[account]") {
  auto inst = reliance();
  auto book = funded_book(1'000'000);
  write_batch out;
  auto o = placed(book.place(limit(side::buy, 3, 245000), "", &inst, true, 1, out));
  exec_ids ex;
  auto first = ex.make(o.id, exec_kind::trade, 1, 245000, 1, 2);
  auto second = ex.make(o.id, exec_kind::trade, 1, 245000, 2, 1);
  auto cancelled = ex.make(o.id, exec_kind::cancelled, 0, 0, 2, 0);
  book.apply_report(ex.make(o.id, exec_kind::accepted, 0, 0, 0, 3), 2, out);
  book.apply_report(first, 2, out);
  CHECK_FALSE(book.apply_report(cancelled, 3, out).has_value()); // counts 2 filled, the books 1
  CHECK(book.find(o.id)->status == order_status::partially_filled);
  CHECK_FALSE(book.apply_report(cancelled, 3, out).has_value()); // the same again: still waiting
  auto ended = book.apply_report(second, 4, out);
  REQUIRE(ended.has_value());
  CHECK(ended->status == order_status::cancelled);
  CHECK(ended->filled_quantity == 2);
  CHECK(book.holdings().at("RELIANCE").quantity == 2);
  CHECK(book.cash().held == 0); // the unfilled share's hold is released with the end
  CHECK(book.working_orders().empty());
  CHECK_FALSE(book.apply_report(cancelled, 5, out).has_value()); // and the end applied once
  book.audit();
}

TEST_CASE("a trade replayed after a restart is still a replay", "[account]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-replay-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    auto inst = reliance();
    sqlite_store db{(dir / "b.db").string()};
    account_seed s;
    s.profile.id = me;
    s.profile.email = "me@example.com";
    s.profile.kyc = kyc_status::verified;
    s.account.user = me;
    give_opening_balance(s, 1'000'000);
    write_batch first;
    first.users.push_back(s.profile);
    first.accounts.push_back(s.account);
    first.journal = s.journal;
    db.commit(first);
    account_book book{s};
    write_batch out;
    auto o = placed(book.place(limit(side::buy, 2, 245000), "", &inst, true, 1, out));
    exec_ids ex;
    auto fill = ex.make(o.id, exec_kind::trade, 1, 245000, 1, 1);
    REQUIRE(book.apply_report(fill, 2, out).has_value());
    db.commit(out);

    auto seeds = seeds_from(db.load());
    account_book rebuilt{std::move(seeds.at(me))};
    REQUIRE(rebuilt.working_orders().count(o.id) == 1); // still working: 1 of 2 filled
    write_batch again;
    CHECK_FALSE(rebuilt.apply_report(fill, 3, again).has_value());
    CHECK(again.empty());
    CHECK(rebuilt.find(o.id)->filled_quantity == 1);
    // A new execution still applies.
    CHECK(rebuilt.apply_report(ex.make(o.id, exec_kind::trade, 1, 245000, 2, 0), 4, again).has_value());
    CHECK(rebuilt.find(o.id)->status == order_status::filled);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a sell reserves shares and a cancel frees them", "[account]") {
  auto inst = reliance();
  auto book = funded_book(1'000'000);
  write_batch out;
  exec_ids ex;
  auto buy = placed(book.place(market(side::buy, 3), "", &inst, true, 1, out));
  book.apply_report(ex.make(buy.id, exec_kind::trade, 3, 245000, 3, 0), 2, out);
  auto sell = placed(book.place(limit(side::sell, 2, 250000), "", &inst, true, 3, out));
  CHECK(book.holdings().at("RELIANCE").held_quantity == 2);
  CHECK(rejected(book.place(limit(side::sell, 2, 250000), "", &inst, true, 3, out))
        == reject_reason::insufficient_holdings);

  out = {};
  auto cancelling = book.request_cancel(sell.id, 4, out);
  REQUIRE(std::holds_alternative<order>(cancelling));
  CHECK(std::get<order>(cancelling).status == order_status::pending_cancel);
  // One share trades before the cancel lands: a fill may beat a cancel.
  book.apply_report(ex.make(sell.id, exec_kind::trade, 1, 250000, 1, 1), 5, out);
  CHECK(book.find(sell.id)->status == order_status::pending_cancel);
  book.apply_report(ex.make(sell.id, exec_kind::cancelled, 0, 0, 1, 0), 6, out);
  CHECK(book.find(sell.id)->status == order_status::cancelled);
  auto& h = book.holdings().at("RELIANCE");
  CHECK(h.quantity == 2);
  CHECK(h.held_quantity == 0);
  // The store hears about the freed shares, not only memory.
  REQUIRE_FALSE(out.holdings.empty());
  CHECK(out.holdings.back().position.held_quantity == 0);
  CHECK(std::holds_alternative<rejection>(book.request_cancel(sell.id, 7, out)));
}

TEST_CASE("a refused cancel puts the order back to work", "[account]") {
  auto inst = reliance();
  auto book = funded_book(1'000'000);
  write_batch out;
  exec_ids ex;
  auto o = placed(book.place(limit(side::buy, 1, 245000), "", &inst, true, 1, out));
  book.apply_report(ex.make(o.id, exec_kind::accepted, 0, 0, 0, 1), 2, out);
  book.request_cancel(o.id, 3, out);
  book.apply_report(ex.make(o.id, exec_kind::cancel_rejected), 4, out);
  CHECK(book.find(o.id)->status == order_status::open);
  CHECK(book.cash().held == 245000);
}

TEST_CASE("an idempotency key returns the first order or refuses a different body", "[account]") {
  auto inst = reliance();
  auto book = funded_book(1'000'000);
  write_batch out;
  auto first = book.place(limit(side::buy, 1, 245000), "key-1", &inst, true, 1, out);
  auto again = book.place(limit(side::buy, 1, 245000), "key-1", &inst, true, 2, out);
  CHECK(again.replayed);
  CHECK(placed(again).id == placed(first).id);
  CHECK(book.orders().size() == 1);
  CHECK(book.cash().held == 245000);
  CHECK(rejected(book.place(limit(side::buy, 2, 245000), "key-1", &inst, true, 3, out))
        == reject_reason::idempotency_conflict);
  // A replay answers even when the market has since closed.
  CHECK(book.place(limit(side::buy, 1, 245000), "key-1", &inst, false, 4, out).replayed);
}

TEST_CASE("an order whose batch failed is forgotten and its hold released", "[account]") {
  auto inst = reliance();
  auto book = funded_book(1'000'000);
  write_batch out;
  auto o = placed(book.place(limit(side::buy, 1, 245000), "k", &inst, true, 1, out));
  write_batch undo;
  book.abandon(o.id, undo);
  CHECK(book.find(o.id) == nullptr);
  CHECK(book.cash().available == 1'000'000);
  CHECK(book.cash().held == 0);
  // The key is free again and the id is never reused.
  auto again = placed(book.place(limit(side::buy, 1, 245000), "k", &inst, true, 2, out));
  CHECK(again.id != o.id);
}

TEST_CASE("a cancel asked for before the order's commit failed is undone with it", "[account]") {
  auto inst = reliance();
  auto book = funded_book(1'000'000);
  write_batch out;
  auto o = placed(book.place(limit(side::buy, 1, 245000), "", &inst, true, 1, out));
  REQUIRE(std::holds_alternative<order>(book.request_cancel(o.id, 2, out)));
  write_batch undo;
  book.abandon(o.id, undo);             // the placement's batch failed
  book.undo_cancel(o.id, order_status::pending, undo); // and so did the cancel's
  CHECK(book.find(o.id) == nullptr);
  CHECK(book.cash().held == 0);
  CHECK(book.cash().available == 1'000'000);
}

TEST_CASE("deposits add cash only once collected; a transfer never written is forgotten", "[account]") {
  auto book = funded_book(100'000);
  write_batch out;
  auto d = book.begin_deposit(50'000, 1, out);
  CHECK(d.status == transfer_status::pending);
  CHECK(book.cash().available == 100'000); // not collected yet
  CHECK(book.pending_transfers().size() == 1);
  auto done = book.finish_deposit(d.id, true, "PGIN-1", 2, out);
  CHECK(done.status == transfer_status::completed);
  CHECK(book.cash().available == 150'000);
  auto declined = book.begin_deposit(70'000, 3, out);
  CHECK(book.finish_deposit(declined.id, false, "declined", 4, out).status == transfer_status::failed);
  CHECK(book.cash().available == 150'000);
  // Begun, but its PENDING row never reached the store: gone, holds released.
  auto w = std::get<transfer>(book.begin_withdrawal(30'000, 6, out));
  CHECK(book.cash().held == 30'000);
  book.forget_transfer(w.id);
  CHECK(book.cash().held == 0);
  CHECK(book.cash().available == 150'000);
  CHECK(book.pending_transfers().empty());
}

TEST_CASE("withdrawals hold the money until the gateway answers", "[account]") {
  auto book = funded_book(100'000);
  write_batch out;
  CHECK(std::holds_alternative<rejection>(book.begin_withdrawal(100'001, 1, out)));
  auto t = std::get<transfer>(book.begin_withdrawal(60'000, 1, out));
  CHECK(book.cash().available == 40'000);
  CHECK(book.cash().held == 60'000);
  book.finish_withdrawal(t.id, false, "bank down", 2, out);
  CHECK(book.cash().available == 100'000);
  auto t2 = std::get<transfer>(book.begin_withdrawal(60'000, 3, out));
  auto done = book.finish_withdrawal(t2.id, true, "PGOUT-1", 4, out);
  CHECK(done.status == transfer_status::completed);
  CHECK(book.cash().available == 40'000);
  CHECK(book.cash().held == 0);
}

// Random deposits, orders, fills, cancels, withdrawals and the passing of
// days (so sale proceeds settle), under a real fee schedule, seeded. After
// every step the book is audited (it aborts on a violation) and the journal
// checked: every entry sums to zero, the balances are the sums of the entries
// written, money is conserved (cash = deposits - withdrawals - buys + sells -
// charges), shares equal the fills, and nothing is withdrawable before it
// settles. At the end the books rebuilt from the store equal the live ones.
TEST_CASE("seeded random trading: the journal balances, money is conserved, the store rebuilds the books",
          "[account][property][ledger]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-book-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto inst = reliance();
  auto rules = std::make_shared<book_rules>();
  rules->fees = nse_delivery_fees();
  calendar_rules cal;
  cal.holidays = {"2026-01-26"};
  rules->calendar = market_calendar{cal};
  rules->settlement_days = 1;
  for (uint64_t seed : {1u, 2u, 3u, 42u}) {
    DYNAMIC_SECTION("seed " << seed) {
      sqlite_options fast;
      fast.synchronous_full = false;
      sqlite_store db{(dir / ("s" + std::to_string(seed) + ".db")).string(), fast};
      account_seed s;
      s.profile.id = me;
      s.profile.email = "me" + std::to_string(seed) + "@example.com";
      s.profile.kyc = kyc_status::verified;
      s.account.user = me;
      write_batch first;
      first.users.push_back(s.profile);
      first.accounts.push_back(s.account);
      db.commit(first);
      account_book book{s, {}, rules};
      std::mt19937_64 rng{seed};
      exec_ids ex;
      money deposited = 0, withdrawn = 0, bought = 0, sold = 0, charges = 0;
      int64_t shares = 0;
      ledger_totals written; // the sums of every entry the book wrote
      auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>{lo, hi}(rng); };
      timestamp now = 1'768'800'000'000'000'000; // 2026-01-19, a Monday
      for (int step = 0; step < 2000; ++step) {
        write_batch out;
        now += pick(1, 180) * 60'000'000'000LL; // up to 3 hours: ~2 months over the run
        book.settle_due(now, out);
        auto roll = pick(0, 99);
        if (roll < 10) {
          money amount = pick(1, 5'000'000);
          auto t = book.begin_deposit(amount, now, out);
          bool collected = pick(0, 5) != 0;
          book.finish_deposit(t.id, collected, collected ? "PGIN" : "declined", now, out);
          if (collected)
            deposited += amount;
        } else if (roll < 15) {
          money amount = pick(1, 3'000'000);
          money withdrawable = book.cash().withdrawable;
          auto t = book.begin_withdrawal(amount, now, out);
          // Exactly the settled, free cash can leave: never unsettled proceeds.
          REQUIRE(std::holds_alternative<transfer>(t) == (amount <= withdrawable));
          if (auto tr = std::get_if<transfer>(&t)) {
            bool paid = pick(0, 3) != 0;
            book.finish_withdrawal(tr->id, paid, paid ? "PGOUT" : "declined", now, out);
            if (paid)
              withdrawn += amount;
          }
        } else if (roll < 45) {
          auto s_side = pick(0, 1) ? side::buy : side::sell;
          auto r = pick(0, 2) == 0 ? market(s_side, pick(1, 20))
                                   : limit(s_side, pick(1, 20), inst.lower_band() + 5 * pick(0, 19600));
          book.place(r, pick(0, 4) == 0 ? "k" + std::to_string(pick(0, 30)) : "", &inst, true, now, out);
        } else if (!book.working_orders().empty()) {
          auto ids = sorted_working_ids(book); // a hash map's order would make the draw depend on it
          const order o = *book.find(ids[static_cast<size_t>(pick(0, static_cast<int64_t>(ids.size()) - 1))]);
          if (roll < 55) {
            book.request_cancel(o.id, now, out);
          } else if (roll < 65) {
            book.apply_report(ex.make(o.id, exec_kind::cancelled, 0, 0, o.filled_quantity, 0), now, out);
          } else if (roll < 68) {
            book.apply_report(ex.make(o.id, exec_kind::rejected), now, out);
          } else {
            int64_t left = o.quantity - o.filled_quantity;
            int64_t qty = pick(1, left);
            money cap = o.type == order_type::limit ? o.price : inst.upper_band();
            money px = o.side == side::buy ? cap - 5 * pick(0, 100) : cap + 5 * pick(0, 100);
            px = std::clamp(px, inst.lower_band(), inst.upper_band());
            if (o.side == side::buy && px > cap)
              px = cap;
            auto rep = ex.make(o.id, exec_kind::trade, qty, px, o.filled_quantity + qty, left - qty);
            if (book.apply_report(rep, now, out)) {
              (o.side == side::buy ? bought : sold) += qty * px;
              shares += o.side == side::buy ? qty : -qty;
            }
            if (pick(0, 9) == 0) // a duplicate report changes nothing
              REQUIRE_FALSE(book.apply_report(rep, now, out).has_value());
          }
        }
        book.audit(); // the book audits itself only now and then once it is large
        for (auto& e : out.journal) {
          REQUIRE(e.sum() == 0);
          REQUIRE(e.user == me);
          written.add(e);
        }
        for (auto& e : out.executions)
          charges += e.fees.total();
        db.commit(out);
        REQUIRE(written.amounts == book.ledger().amounts);
        auto c = book.cash();
        REQUIRE(c.withdrawable >= 0);
        REQUIRE(c.unsettled >= 0);
        REQUIRE(c.available + c.held == deposited - withdrawn - bought + sold - charges);
        auto h = book.holdings().find("RELIANCE");
        REQUIRE((h == book.holdings().end() ? 0 : h->second.quantity) == shares);
        // The house side mirrors the user: fees and charges are what was charged.
        REQUIRE(book.ledger()[ledger_account::house_fees]
                  + book.ledger()[ledger_account::statutory_charges] == charges);
        REQUIRE(-book.ledger()[ledger_account::bank] == deposited - withdrawn);
      }
      CHECK(charges > 0);  // the schedule really charged
      CHECK(sold > 0);     // and proceeds went through settlement
      // The same invariants broker-sim checks, on what the store holds.
      auto broken = sim::check_books(db.load());
      INFO(sim::describe(broken));
      CHECK(broken.empty());
      auto seeds = seeds_from(db.load());
      REQUIRE(seeds.count(me) == 1);
      account_book rebuilt{std::move(seeds.at(me)), {}, rules};
      CHECK(rebuilt.ledger().amounts == book.ledger().amounts);
      auto all = std::numeric_limits<timestamp>::max();
      CHECK(rebuilt.journal_between(0, all, 1, 1'000'000).entries.size()
            == book.journal_between(0, all, 1, 1'000'000).entries.size());
      CHECK(rebuilt.trades_between(0, all).size() == book.trades_between(0, all).size());
      CHECK(rebuilt.settlement_queue() == book.settlement_queue());
      CHECK(sorted_working_ids(rebuilt) == sorted_working_ids(book));
      CHECK(rebuilt.realized() == book.realized());
      CHECK(rebuilt.charges_paid() == book.charges_paid());
      REQUIRE(rebuilt.orders().size() == book.orders().size());
      for (auto& [id, o] : book.orders()) {
        auto* r = rebuilt.find(id);
        REQUIRE(r != nullptr);
        CHECK(r->status == o.status);
        CHECK(r->filled_quantity == o.filled_quantity);
        CHECK(r->filled_value == o.filled_value);
        CHECK(r->held_cash == o.held_cash);
        CHECK(r->held_unsettled == o.held_unsettled);
        CHECK(r->fees == o.fees);
      }
      for (auto& [sym, h] : book.holdings()) {
        auto& r = rebuilt.holdings().at(sym);
        CHECK(r.quantity == h.quantity);
        CHECK(r.held_quantity == h.held_quantity);
        CHECK(r.cost_basis == h.cost_basis);
      }
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("price alerts: created, cancelled, triggered once, limited", "[account][alerts]") {
  auto inst = reliance();
  auto book = funded_book(0);
  write_batch out;
  auto refused = book.create_alert({"NOPE", alert_condition::above, 100}, nullptr, 1, out);
  REQUIRE(std::holds_alternative<rejection>(refused));
  CHECK(std::get<rejection>(refused).reason == reject_reason::unknown_symbol);
  CHECK(out.alerts.empty());

  auto a = std::get<price_alert>(book.create_alert({"RELIANCE", alert_condition::above, 250000}, &inst, 2, out));
  auto b = std::get<price_alert>(book.create_alert({"RELIANCE", alert_condition::below, 240000}, &inst, 3, out));
  CHECK(a.id == 1);
  CHECK(b.id == 2);
  CHECK(a.status == alert_status::active);
  CHECK(out.alerts.size() == 2);

  auto fired = book.trigger_alert(a.id, 250500, 4, out);
  REQUIRE(fired.has_value());
  CHECK(fired->status == alert_status::triggered);
  CHECK(fired->triggered_price == 250500);
  CHECK_FALSE(book.trigger_alert(a.id, 251000, 5, out).has_value()); // once only

  auto cancel_fired = book.cancel_alert(a.id, 6, out);
  CHECK(std::get<rejection>(cancel_fired).reason == reject_reason::alert_not_active);
  CHECK(std::get<rejection>(book.cancel_alert(99, 6, out)).reason == reject_reason::alert_not_found);
  CHECK(std::get<price_alert>(book.cancel_alert(b.id, 7, out)).status == alert_status::cancelled);
  CHECK_FALSE(book.trigger_alert(b.id, 239000, 8, out).has_value()); // cancelled: never fires

  for (size_t i = 0; i < max_active_alerts; ++i)
    REQUIRE(std::holds_alternative<price_alert>(
      book.create_alert({"RELIANCE", alert_condition::above, 260000}, &inst, 9, out)));
  auto over = book.create_alert({"RELIANCE", alert_condition::above, 260000}, &inst, 10, out);
  CHECK(std::get<rejection>(over).reason == reject_reason::too_many_alerts);
}
