// limit_allocator_growth() talks to jemalloc through mallctl names looked up
// at run time: a misspelt name would silently leave the allocator mapping
// tens of MiB at once under mlockall. This reads back what it set.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "sim/books_arena_hook.hpp"
#include "sim/resident_memory.hpp"

namespace {

// Sanitizer builds bring their own allocator: nothing here applies to them.
bool sanitizer_replaces_jemalloc() {
  if (broker::sanitized_build())
    WARN("sanitizer build: the sanitizer's allocator replaces jemalloc, nothing to check");
  return broker::sanitized_build();
}

} // namespace

TEST_CASE("every jemalloc arena takes the growth limit", "[memory]") {
  if (sanitizer_replaces_jemalloc())
    return;
  constexpr size_t step = size_t{4} << 20;
  auto growth = broker::limit_allocator_growth(step);
  REQUIRE(growth.on_jemalloc); // the test binary links jemalloc as brokerd does
  REQUIRE(growth.arenas > 0);
  CHECK(growth.limited == growth.arenas);
  for (unsigned i = 0; i < growth.arenas; ++i)
    CHECK(broker::allocator_grow_limit(i) == step);
  // A second call changes the limit: it is not only set once at start.
  growth = broker::limit_allocator_growth(step / 2);
  CHECK(growth.limited == growth.arenas);
  CHECK(broker::allocator_grow_limit(0) == step / 2);
}

// The books' arena: the actor system's threads allocate in it (through the
// thread hook), and what was pre-touched there serves their growth.
TEST_CASE("actor threads allocate in the pre-touched books arena", "[memory]") {
  if (sanitizer_replaces_jemalloc())
    return;
  constexpr size_t prefault = size_t{8} << 20;
  auto arena = broker::prepare_books_arena(prefault);
  REQUIRE(arena.created);
  CHECK(arena.prefaulted == prefault);
  CHECK(broker::allocator_grow_limit(arena.index) == (size_t{2} << 20));
  // The caller stays: an arena its last thread leaves gives its free pages back.
  CHECK(broker::arena_of_this_thread() == static_cast<int>(arena.index));

  // Pre-touched pages are kept (purging is off), so allocations up to that
  // much are served without the arena growing.
  auto resident = [&] { return broker::allocator_resident_by_arena().at(arena.index); };
  size_t resident_after_prefault = resident();
  CHECK(resident_after_prefault >= prefault);
  std::thread([&] {
    broker::join_books_arena();
    CHECK(broker::arena_of_this_thread() == static_cast<int>(arena.index));
    void* p = std::malloc(prefault / 2);
    CHECK(resident() == resident_after_prefault);
    std::free(p);
  }).join();

  // The arena's memory, its bookkeeping too, comes from the reservoir mapped
  // at start: growing into the pre-touched pages maps nothing, and only past
  // the reservoir does the arena map memory again.
  CHECK(arena.reserved > prefault);
  CHECK(broker::books_arena_fallback_maps() == 0);
  std::vector<void*> small;
  for (size_t i = 0; i < (prefault / 2) / 256; ++i) // many slabs: bookkeeping grows
    small.push_back(std::malloc(256));
  CHECK(broker::books_arena_fallback_maps() == 0);
  auto* past = static_cast<volatile char*>(std::malloc(2 * arena.reserved));
  REQUIRE(past != nullptr);
  past[0] = 1; // used: the compiler may not drop the allocation
  CHECK(broker::books_arena_fallback_maps() > 0);
  std::free(const_cast<char*>(past));
  for (void* p : small)
    std::free(p);

  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  cfg.add_thread_hook<broker::books_arena_hook>();
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto where = sys.spawn([]() -> caf::behavior {
    return {[](caf::get_atom) { return broker::arena_of_this_thread(); }};
  });
  int actor_arena = -1;
  self->request(where, caf::infinite, caf::get_atom::value)
    .receive([&](int a) { actor_arena = a; }, [](caf::error&) {});
  CHECK(actor_arena == static_cast<int>(arena.index));
  self->send_exit(where, caf::exit_reason::user_shutdown);
}
