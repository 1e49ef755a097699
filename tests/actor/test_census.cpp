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
