// The simulation's exchange, which outlives its links (sim/exchange_session.hpp):
// what happened at the exchange while no link was up reaches the books when
// the next link reconciles, and the network's faults (reports twice, out of
// order) leave the books equal to the exchange's records.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "actors/messages.hpp"
#include "sim/invariants.hpp"
#include "tests/actor/node_harness.hpp"

using namespace broker;
using namespace broker::testing;

namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path()
           / ("broker-session-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d;
}

sim::deterministic_node_options outliving(bool market_maker, std::shared_ptr<sim::session_faults> faults = {}) {
  sim::deterministic_node_options o;
  o.instruments_csv = BROKER_CONFIG_DIR "/instruments.csv";
  o.market_maker = market_maker;
  o.exchange_outlives_links = true;
  o.link_faults = std::move(faults);
  return o;
}

place_order_request order_of(side s, order_type t, int64_t qty, money price) {
  place_order_request r;
  r.symbol = "TCS";
  r.side = s;
  r.type = t;
  r.quantity = qty;
  r.price = price;
  return r;
}

void books_match_exchange(sim::deterministic_node& n) {
  auto snap = n.db->load();
  auto inside = sim::check_books(snap);
  INFO(sim::describe(inside));
  CHECK(inside.empty());
  auto against = sim::check_against_exchange(snap, n.exchange_records().first);
  INFO(sim::describe(against));
  CHECK(against.empty());
}

} // namespace

TEST_CASE("a fill made while no link was up reaches the books when the next link reconciles", "[actors][sim]") {
  auto dir = fresh_dir("missed-fill");
  {
    sim::deterministic_node n{dir, outliving(false)};
    auto u = n.funded_user("missed@example.com", 10'000'000);
    auto bid = ok(n.ask<order>([&](auto done) {
      n.broker->place_order(u, order_of(side::buy, order_type::limit, 2, 380000), "", done);
    }));
    n.run();
    auto get = [&] { return ok(n.ask<order>([&](auto done) { n.broker->get_order(u, bid.id, done); })); };
    REQUIRE(get().status == order_status::open);

    caf::anon_send_exit(n.current_exchange, caf::exit_reason::kill); // the link drops, not the exchange
    n.run();
    // Another broker's seller takes the bid meanwhile: the report has no link to go down.
    order sell;
    sell.id = 1'000'000;
    sell.user = 999;
    sell.symbol = "TCS";
    sell.side = side::sell;
    sell.type = order_type::limit;
    sell.quantity = 2;
    sell.price = 380000;
    caf::anon_send(n.venue, new_order_atom::value, sell);
    n.run();
    CHECK(get().status == order_status::open); // not heard of yet

    n.advance(std::chrono::seconds{1}); // the back-off, a new link, its reconcile
    CHECK(n.exchanges_opened == 2);
    auto after = get();
    CHECK(after.status == order_status::filled);
    CHECK(after.filled_quantity == 2);
    auto bal = ok(n.ask<cash_balance>([&](auto done) { n.broker->balance(u, done); }));
    CHECK(bal.held == 0);
    books_match_exchange(n);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("reports sent twice and out of order leave the books equal to the exchange's", "[actors][sim]") {
  auto dir = fresh_dir("twice-reordered");
  {
    auto faults = std::make_shared<sim::session_faults>();
    faults->rng.seed(7);
    auto n_ = std::make_unique<sim::deterministic_node>(dir, outliving(true, faults));
    auto& n = *n_;
    auto u = n.funded_user("faults@example.com", 100'000'000);
    faults->duplicate_per_million = 1'000'000; // every report twice...
    std::vector<order_id> ids;
    for (int i = 0; i < 5; ++i)
      ids.push_back(ok(n.ask<order>([&](auto done) {
                      n.broker->place_order(u, order_of(side::buy, order_type::market, 10 + i, 0), "", done);
                    })).id);
    n.advance(std::chrono::seconds{2});
    faults->duplicate_per_million = 0;
    faults->reorder_per_million = 1'000'000; // ...then each overtaken by the next
    for (int i = 0; i < 5; ++i)
      ids.push_back(ok(n.ask<order>([&](auto done) {
                      n.broker->place_order(u, order_of(side::sell, order_type::market, 1 + i, 0), "", done);
                    })).id);
    n.advance(std::chrono::seconds{2}); // a held report goes out after 1 s at the latest
    CHECK(faults->duplicated > 0);
    CHECK(faults->reordered > 0);
    for (auto id : ids)
      CHECK(ok(n.ask<order>([&](auto done) { n.broker->get_order(u, id, done); })).status == order_status::filled);
    books_match_exchange(n);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("what was acknowledged survives a power cut; the simulated disk loses only what was never synced",
          "[actors][sim]") {
  auto dir = fresh_dir("power-cut");
  {
    auto o = outliving(true);
    o.simulated_disk = true;
    sim::deterministic_node n{dir, o};
    auto u = n.funded_user("power@example.com", 10'000'000);
    auto placed = ok(n.ask<order>([&](auto done) {
      n.broker->place_order(u, order_of(side::buy, order_type::market, 3, 0), "", done);
    }));
    n.advance(std::chrono::seconds{1});
    auto before = n.db->load();
    n.crash(); // the power goes: the store is closed with the power off, then opened again
    auto after = n.db->load();
    CHECK(after.orders.size() == before.orders.size());
    CHECK(after.executions.size() == before.executions.size());
    CHECK(after.journal.size() == before.journal.size());
    n.recover();
    auto again = ok(n.ask<order>([&](auto done) { n.broker->get_order(u, placed.id, done); }));
    CHECK(again.status == order_status::filled);
    auto bal = ok(n.ask<cash_balance>([&](auto done) { n.broker->balance(u, done); }));
    CHECK(bal.available + bal.held < 10'000'000); // the fill was paid for, once
    books_match_exchange(n);
    CHECK(n.disk->stats().syncs > 0);
  }
  std::filesystem::remove_all(dir);
}
