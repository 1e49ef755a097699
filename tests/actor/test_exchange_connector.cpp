// The connector sends each execution report straight to its account, asking
// the directory for the account's handle only the first time; a user's
// reports arrive in the exchange's order even while that lookup is under way.
// Deterministic scheduler; the directory and the accounts are stand-ins.
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <catch2/catch.hpp>

#include "actors/exchange_connector.hpp"
#include "actors/messages.hpp"

using namespace broker;

namespace {

using exec_ids = std::shared_ptr<std::vector<std::string>>;

// An account that only writes down which reports it got, in order.
caf::behavior recording_account(caf::event_based_actor*, exec_ids got) {
  return {[=](const execution_report& r) { got->push_back(r.exec_id); }};
}

// Knows user 7 only; spawns a fresh recorder for each lookup, so a lookup
// after the first one shows up as reports in the next recorder.
struct directory_log {
  int lookups = 0;
  std::vector<exec_ids> recorders;
  std::vector<caf::actor> accounts;
};

caf::behavior stand_in_directory(caf::event_based_actor* self, std::shared_ptr<directory_log> log) {
  return {
    [=](account_atom, user_id user) -> caf::result<caf::actor> {
      ++log->lookups;
      if (user != 7)
        return to_error(rejection{reject_reason::user_not_found, "no such user", {}});
      log->recorders.push_back(std::make_shared<std::vector<std::string>>());
      log->accounts.push_back(self->spawn(recording_account, log->recorders.back()));
      return log->accounts.back();
    },
  };
}

execution_report report(user_id account, std::string exec_id) {
  execution_report r;
  r.account = account;
  r.exec_id = std::move(exec_id);
  r.kind = exec_kind::accepted;
  return r;
}

struct connector_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<directory_log> log = std::make_shared<directory_log>();
  caf::actor connector, directory;

  connector_fixture() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    connector_options co;
    co.link = "test link";
    connector = spawn_exchange_connector(*sys, std::make_shared<symbol_actors>(), co);
    directory = sys->spawn(stand_in_directory, log);
    caf::anon_send(connector, account_atom::value, directory);
    sched->run();
  }
  ~connector_fixture() {
    for (auto& a : log->accounts)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(connector, caf::exit_reason::user_shutdown);
    sched->run();
  }
};

} // namespace

TEST_CASE_METHOD(connector_fixture, "reports reach their account in order, one lookup per account",
                 "[actors][connector]") {
  // Back to back: the second and third arrive while the first one's lookup
  // is still unanswered, and must not overtake it.
  for (auto id : {"E1", "E2", "E3"})
    caf::anon_send(connector, report(7, id));
  sched->run();
  REQUIRE(log->recorders.size() == 1);
  CHECK(*log->recorders[0] == std::vector<std::string>{"E1", "E2", "E3"});
  CHECK(log->lookups == 1);

  caf::anon_send(connector, report(7, "E4"));
  sched->run();
  CHECK(*log->recorders[0] == std::vector<std::string>{"E1", "E2", "E3", "E4"});
  CHECK(log->lookups == 1); // the handle was kept
}

TEST_CASE_METHOD(connector_fixture, "a report for an unknown account is dropped, others still flow",
                 "[actors][connector]") {
  caf::anon_send(connector, report(8, "X1"));
  caf::anon_send(connector, report(7, "E1"));
  sched->run();
  CHECK(log->lookups == 2);
  REQUIRE(log->recorders.size() == 1);
  CHECK(*log->recorders[0] == std::vector<std::string>{"E1"});
}

TEST_CASE_METHOD(connector_fixture, "after an account dies its next report asks the directory again",
                 "[actors][connector]") {
  caf::anon_send(connector, report(7, "E1"));
  sched->run();
  REQUIRE(log->accounts.size() == 1);
  caf::anon_send_exit(log->accounts[0], caf::exit_reason::kill);
  sched->run();
  caf::anon_send(connector, report(7, "E2"));
  sched->run();
  CHECK(log->lookups == 2);
  REQUIRE(log->recorders.size() == 2);
  CHECK(*log->recorders[0] == std::vector<std::string>{"E1"});
  CHECK(*log->recorders[1] == std::vector<std::string>{"E2"});
}
