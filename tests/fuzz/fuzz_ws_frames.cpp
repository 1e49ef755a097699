// libFuzzer target: the WebSocket session actor (actors/session.hpp) fed one
// client frame of arbitrary bytes, on CAF's deterministic scheduler. It must
// answer with frames (an error frame for anything it cannot take) and never
// crash; a frame that signs in and subscribes reaches a stand-in directory.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/messages.hpp"
#include "actors/quote_fanout.hpp"
#include "actors/session.hpp"

namespace {

using namespace broker;

class discarding_sink final : public frame_sink {
public:
  bool send_text(std::string) override { return true; }
  void close(uint16_t, std::string) override {}
  size_t queued_frames() const override { return 0; }
};

// Knows nobody: every account lookup is refused. (It takes an argument: CAF
// 0.17 spawns a function of no arguments through a null pointer, which clang's
// UBSan reports.)
caf::behavior empty_directory(caf::event_based_actor*, int) {
  return {[](account_atom, user_id) -> caf::result<caf::actor> {
    return to_error(rejection{reject_reason::user_not_found, "no such user", {}});
  }};
}

struct world {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  session_services services;

  world() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    instrument_table table{{instrument{"AAA", "Aaa Ltd", 5, 1, 10'000, 20}, instrument{"BBB", "Bbb Ltd", 5, 1, 20'000, 20}}};
    services.directory = sys->spawn(empty_directory, 0);
    services.quotes = std::make_shared<latest_quotes>(table);
    services.fanout = spawn_quote_fanout(*sys, std::chrono::milliseconds{100});
    services.connections = std::make_shared<connection_count>(10);
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Never destroyed: at exit, CAF's statics may already be gone.
  static world& w = *new world;
  auto in = open_session(*w.sys, w.services, session_options{}, std::make_shared<discarding_sink>(),
                         [](const std::string& token) {
                           return token == "good" ? std::optional<user_id>{7} : std::nullopt;
                         });
  std::string frame{reinterpret_cast<const char*>(data), size};
  in->on_text(frame);
  w.sched->run();
  in->on_binary(frame);
  w.sched->run();
  in->on_closed();
  w.sched->run();
  // The fanout's beat, if the frame subscribed: the session drains once.
  w.sched->trigger_timeouts();
  w.sched->run();
  return 0;
}
