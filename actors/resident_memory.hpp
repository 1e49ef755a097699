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
#include <string>

namespace broker {

struct memory_lock_result {
  bool locked = false;
  std::string detail; // why not, or what was locked: for the start-up log
};

// Locks only when it cannot later starve the process: with MCL_FUTURE, every
// mapping past RLIMIT_MEMLOCK would fail (malloc returning null), so without
// CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK it declines and says why.
// Also declines under AddressSanitizer, whose shadow memory is terabytes.
memory_lock_result lock_resident_memory();

} // namespace broker
