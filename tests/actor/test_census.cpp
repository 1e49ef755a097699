// The census the operator console reads: every long-lived actor enrolled with
// its kind, key and supervisor, its messages counted, its mailbox depth
// answered ahead of a backlog, and restarts seen as new incarnations.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "tests/actor/node_harness.hpp"

using namespace broker;
using namespace broker::testing;

namespace {

std::optional<census_entry> find_entry(const actor_census& c, actor_kind kind, const std::string& key) {
  for (auto& e : c.entries())
    if (e.kind == kind && e.key == key)
      return e;
  return std::nullopt;
}

} // namespace

TEST_CASE("the census lists the node's actors and counts their messages", "[actors][census]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-census-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    node_harness h{dir};
    const auto& census = *h.broker->census();
    auto u = h.funded_user("census@example.com", 10'000'000);
    auto account = find_entry(census, actor_kind::account, std::to_string(u));
    REQUIRE(account);
    auto directory = find_entry(census, actor_kind::directory, "");
    REQUIRE(directory);
    CHECK(account->parent == directory->id); // the directory supervises accounts
    CHECK(account->incarnation == 1);
    for (auto kind : {actor_kind::persistence, actor_kind::store_reader, actor_kind::users, actor_kind::connector,
                      actor_kind::market_board, actor_kind::operator_desk}) {
      auto all = census.entries();
      CHECK(std::count_if(all.begin(), all.end(), [&](auto& e) { return e.kind == kind; }) == 1);
    }
    auto supervisor = find_entry(census, actor_kind::supervisor, "symbols");
    REQUIRE(supervisor);
    auto tcs = find_entry(census, actor_kind::symbol, "TCS");
    REQUIRE(tcs);
    CHECK(tcs->parent == supervisor->id);

    uint64_t before = account->gauge->messages.load();
    CHECK(before > 0); // signup, KYC, the deposit
    place_order_request r;
    r.symbol = "TCS";
    r.quantity = 1;
    ok(h.ask<order>([&](auto done) { h.broker->place_order(u, r, "", done); }));
    h.run();
    CHECK(account->gauge->messages.load() > before);
    CHECK(account->gauge->last_active_ns.load() > 0);

    // Every actor answers its mailbox depth; with nothing queued, zero.
    auto samples = ok(h.ask<std::vector<actor_sample>>(
      [&](auto done) { h.broker->sample_actors(std::chrono::milliseconds{1000}, done); }));
    CHECK(samples.size() == census.size());
    for (auto& s : samples)
      CHECK(s.mailbox == 0);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("an actor's mailbox depth is answered ahead of its backlog", "[actors][census]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-census-backlog-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    node_harness h{dir};
    auto u = h.funded_user("backlog@example.com", 10'000'000);
    auto entry = find_entry(*h.broker->census(), actor_kind::account, std::to_string(u));
    REQUIRE(entry);
    auto account = caf::actor_cast<caf::actor>(entry->address);
    REQUIRE(account);
    // The console's call reaches the gateway first, then the backlog the
    // account: by the time the account runs, the depth request is behind it.
    std::optional<std::variant<std::vector<actor_sample>, rejection>> answer;
    h.broker->sample_actors(std::chrono::milliseconds{1000}, [&](auto r) { answer = std::move(r); });
    constexpr int backlog = 200;
    for (int i = 0; i < backlog; ++i)
      caf::anon_send(account, balance_atom::value);
    h.run();
    REQUIRE(answer);
    auto& samples = ok(*answer);
    auto it = std::find_if(samples.begin(), samples.end(), [&](auto& s) { return s.entry.id == entry->id; });
    REQUIRE(it != samples.end());
    // Answered in its turn, the depth would be 0: the backlog handled first.
    CHECK(it->mailbox > backlog / 2);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("an actor spawned again is a new incarnation under the same supervisor", "[actors][census]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-census-restart-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    node_harness h{dir};
    auto& census = *h.broker->census();
    auto u = h.funded_user("restart@example.com", 10'000'000);
    auto first = find_entry(census, actor_kind::account, std::to_string(u));
    REQUIRE(first);
    caf::anon_send_exit(caf::actor_cast<caf::actor>(first->address), caf::exit_reason::unhandled_exception);
    h.run();
    CHECK_FALSE(census.find(first->id)); // the dead one left
    ok(h.ask<cash_balance>([&](auto done) { h.broker->balance(u, done); })); // reloaded
    auto second = find_entry(census, actor_kind::account, std::to_string(u));
    REQUIRE(second);
    CHECK(second->id != first->id);
    CHECK(second->incarnation == 2);
    CHECK(second->parent == first->parent);
    CHECK(census.restarts(actor_kind::account, std::to_string(u)) == 1);
    CHECK(census.restarts(actor_kind::account) == 1);
    // What the first counted is kept for the totals.
    CHECK(census.retired(actor_kind::account).messages >= first->gauge->messages.load());
    CHECK(census.retired(actor_kind::account).messages > 0);

    auto tcs = find_entry(census, actor_kind::symbol, "TCS");
    REQUIRE(tcs);
    caf::anon_send_exit(caf::actor_cast<caf::actor>(tcs->address), caf::exit_reason::unhandled_exception);
    h.run();
    auto again = find_entry(census, actor_kind::symbol, "TCS");
    REQUIRE(again);
    CHECK(again->incarnation == 2);
    CHECK(again->parent == tcs->parent);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a trace keeps an actor's messages without their contents and ends by itself", "[actors][census]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-census-trace-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    node_harness h{dir};
    auto& census = *h.broker->census();
    auto u = h.funded_user("traced@example.com", 10'000'000);
    auto entry = find_entry(census, actor_kind::account, std::to_string(u));
    REQUIRE(entry);
    CHECK_FALSE(census.start_trace(999'999, 1'000'000'000));
    REQUIRE(census.start_trace(entry->id, 10'000'000'000)); // 10 s of the simulated clock
    place_order_request r;
    r.symbol = "TCS";
    r.quantity = 1;
    ok(h.ask<order>([&](auto done) { h.broker->place_order(u, r, "secret-key-123", done); }));
    h.run();
    auto kept = entry->gauge->traced_so_far();
    REQUIRE_FALSE(kept.empty());
    CHECK(kept.front().type == "place/4"); // the atom and the arity, not the request
    CHECK(kept.front().sender != 0);       // the gateway that carried the call
    for (auto& m : kept)
      CHECK(m.type.find("secret-key-123") == std::string::npos);
    auto seen = kept.size();

    h.advance(std::chrono::seconds{11}); // past its end: nothing more is kept
    ok(h.ask<cash_balance>([&](auto done) { h.broker->balance(u, done); }));
    CHECK(entry->gauge->traced_so_far().size() <= seen + 20); // what arrived before the end only
    auto before = entry->gauge->traced_so_far().size();
    ok(h.ask<cash_balance>([&](auto done) { h.broker->balance(u, done); }));
    CHECK(entry->gauge->traced_so_far().size() == before);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a trace keeps the last messages once full", "[actors][census]") {
  actor_gauge g;
  g.start_trace(std::numeric_limits<int64_t>::max());
  for (int i = 0; i < static_cast<int>(actor_gauge::trace_capacity) + 5; ++i)
    g.record({i, "m" + std::to_string(i), 0, 0});
  auto kept = g.traced_so_far();
  REQUIRE(kept.size() == actor_gauge::trace_capacity);
  CHECK(kept.front().type == "m5");
  CHECK(kept.back().type == "m" + std::to_string(actor_gauge::trace_capacity + 4));
  CHECK(g.traced == actor_gauge::trace_capacity + 5);
}
