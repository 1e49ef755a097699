#pragma once
// Keeps the node's memory resident: every page it maps is populated at once
// and never paged out (mlockall(MCL_CURRENT | MCL_FUTURE)).
//
// Why: the books grow with every order (orders, journal, notifications), so
// the allocator keeps mapping fresh memory, and the first write to each fresh
// page traps into the kernel. On the VMs this runs on, a trap costs ~10 us
// per 4 KiB page, against <1 us when the kernel populates the same page as it
// maps it; that was ~6 us of CPU per order at 15k orders/s (order_bench).
// Locked memory also cannot be swapped out under an order in flight.
#include <cstddef>
#include <string>
#include <vector>

namespace broker {

// AddressSanitizer builds bring their own allocator (not jemalloc), and
// their shadow memory is terabytes: nothing here applies to them.
constexpr bool sanitized_build() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#endif
#endif
  return false;
}

struct memory_lock_result {
  bool locked = false;
  std::string detail; // why not, or what was locked: for the start-up log
};

// Locks only when it cannot later starve the process: with MCL_FUTURE, every
// mapping past RLIMIT_MEMLOCK would fail (malloc returning null), so without
// CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK it declines and says why.
// Also declines under AddressSanitizer, whose shadow memory is terabytes.
// On success it also calls limit_allocator_growth() with a 2 MiB step.
memory_lock_result lock_resident_memory();

// Under MCL_FUTURE the kernel populates a whole new mapping inside the mmap()
// that creates it, on the allocating thread. jemalloc grows each arena
// geometrically (32 up to 96 MiB at once as the books grow), so one
// allocation in an account actor stalled the order path 8-19 ms (order_bench
// with mmap traced: an 80 MiB mapping took 19 ms). A 2 MiB step costs ~0.5 ms
// early in a run (more once the host must back fresh pages: see README). Locked pages also can't
// be given back (madvise fails on them), so purging is turned off instead of
// retried. jemalloc only: elsewhere (sanitizer builds) it does nothing.
struct allocator_growth {
  bool on_jemalloc = false;
  unsigned arenas = 0;  // jemalloc's arena count
  unsigned limited = 0; // arenas that took the limit
};
allocator_growth limit_allocator_growth(size_t step);
// The arena's current growth limit in bytes; 0 when not on jemalloc.
size_t allocator_grow_limit(unsigned arena);

// The books' arena: one jemalloc arena for every actor thread (CAF's
// workers and detached actors join it through books_arena_hook) and every
// thread that sends to actors (the edge's I/O threads call join_books_arena):
// what one thread allocates, another frees and reuses for the books, so all of
// them must draw from the one place that can be pre-touched.
//
// Pre-touch, as a JVM's AlwaysPreTouch: prepare_books_arena(bytes) maps
// `bytes` in that arena at start and frees it there again. With purging off
// (above) the arena keeps those pages and serves its next `bytes` of growth
// from them, so the order path maps nothing new until then.
// Why: on this project's VMs (Firecracker with free page reporting), a page
// the guest has not touched lately is not backed by the host; populating it
// costs ~8 us against ~0.5 us for a backed one (measured: mmap(MAP_POPULATE)
// of 8 GiB, 8.8 then 0.5 us per page). The books grow by tens of MB/s under
// load, and each 2 MiB step then stalled an actor ~4 ms late in a run.
// With a pre-touch, the arena takes all its memory from one region mapped and
// populated at start (the reservoir): the pre-touched bytes, plus headroom for
// jemalloc's own bookkeeping, which it would otherwise map in growing blocks
// on an actor's thread (12-20 ms stalls, see books_reservoir.hpp). Past the
// reservoir the arena maps memory as usual.
struct books_arena {
  bool created = false;
  unsigned index = 0;
  size_t prefaulted = 0; // bytes
  size_t reserved = 0;   // the reservoir's bytes (0: none, jemalloc maps as usual)
};
// Creates the arena (with the growth step and no purging, as above),
// pre-touches `prefault_bytes` in it, rounded down to one of jemalloc's size
// classes (four per doubling: 3072 MiB stays, 2500 MiB becomes 2048), and
// leaves the calling thread in it
// (jemalloc purges an arena its last thread leaves). Call once, from the
// main thread, before the actor system starts. Does nothing without jemalloc.
books_arena prepare_books_arena(size_t prefault_bytes);
// How often the books' arena needed memory beyond its reservoir (each time,
// a mapping made on the allocating thread).
size_t books_arena_fallback_maps();
// Binds the calling thread to the books' arena, if there is one.
void join_books_arena();
// The arena the calling thread allocates in; -1 when not on jemalloc.
int arena_of_this_thread();
// Bytes of resident memory per arena (jemalloc's stats), for reports.
std::vector<size_t> allocator_resident_by_arena();

} // namespace broker
