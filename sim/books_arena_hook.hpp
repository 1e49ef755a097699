#pragma once
// A CAF thread hook that puts every thread of the actor system (workers,
// detached actors, the clock) in the books' arena, where the books grow and
// which can be pre-touched (sim/resident_memory.hpp). Register it with
// cfg.add_thread_hook<broker::books_arena_hook>() after prepare_books_arena().
#include <caf/thread_hook.hpp>

namespace broker {

class books_arena_hook final : public caf::thread_hook {
public:
  void init(caf::actor_system&) override {}
  void thread_started() override;
  void thread_terminates() override {}
};

} // namespace broker
