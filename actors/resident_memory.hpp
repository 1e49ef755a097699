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

} // namespace broker
