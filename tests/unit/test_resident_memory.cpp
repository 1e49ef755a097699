// limit_allocator_growth() talks to jemalloc through mallctl names looked up
// at run time: a misspelt name would silently leave the allocator mapping
// tens of MiB at once under mlockall. This reads back what it set.
#include <catch2/catch.hpp>

#include "actors/resident_memory.hpp"

TEST_CASE("every jemalloc arena takes the growth limit", "[memory]") {
  if (broker::sanitized_build()) {
    WARN("sanitizer build: the sanitizer's allocator replaces jemalloc, nothing to check");
    return;
  }
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
