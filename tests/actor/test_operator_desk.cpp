// The operator desk: operators' passwords checked against the store (an
// unknown name and a wrong password answer alike), the audit log appended
// and read newest first.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "actors/passwords.hpp"
#include "tests/actor/node_harness.hpp"

using namespace broker;
using namespace broker::testing;

TEST_CASE("operators log in with their password and every entry lands in the audit log", "[actors][operators]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-desk-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    node_harness h{dir};
    REQUIRE(h.db->add_operator(
      {"ops", hash_password("correct horse battery", password_cost::minimum()), h.clock.now(), false}));
    REQUIRE(h.db->add_operator(
      {"gone", hash_password("correct horse battery", password_cost::minimum()), h.clock.now(), true}));
    auto login = [&](std::string name, std::string password) {
      return h.ask<std::string>([&](auto done) { h.broker->operator_login(name, password, done); });
    };
    CHECK(ok(login("ops", "correct horse battery")) == "ops");
    CHECK(refused(login("ops", "wrong horse battery")) == reject_reason::invalid_credentials);
    CHECK(refused(login("nobody", "correct horse battery")) == reject_reason::invalid_credentials);
    CHECK(refused(login("gone", "correct horse battery")) == reject_reason::invalid_credentials); // disabled

    std::vector<int64_t> ids;
    for (int i = 0; i < 3; ++i) {
      audit_entry e;
      e.at = h.clock.now();
      e.operator_name = "ops";
      e.action = "POST /admin/v1/actions/halt";
      e.target = "symbol:TCS";
      e.detail = "entry " + std::to_string(i);
      e.status = 200;
      ids.push_back(ok(h.ask<int64_t>([&](auto done) { h.broker->audit(e, done); })));
    }
    CHECK(ids[0] < ids[1]);
    CHECK(ids[1] < ids[2]);
    auto page = ok(h.ask<std::vector<audit_entry>>([&](auto done) { h.broker->audit_log(0, 2, done); }));
    REQUIRE(page.size() == 2);
    CHECK(page[0].id == ids[2]);
    CHECK(page[0].detail == "entry 2");
    CHECK(page[1].id == ids[1]);
    auto rest = ok(h.ask<std::vector<audit_entry>>([&](auto done) { h.broker->audit_log(page[1].id, 10, done); }));
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].id == ids[0]);
  }
  std::filesystem::remove_all(dir);
}
