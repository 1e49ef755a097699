#pragma once
// Hash tables that would grow in step, and how they don't: a rule shared by
// the account books and the simulated exchange's order books.
//
// An open-addressed table (Abseil's) copies itself whole when it doubles.
// Owners that grow alike (a thousand accounts taking orders round robin,
// forty order books) would all double within the same few ms: a stall of the
// node, like the lockstep ones order_bench found (40-90 ms). Each owner
// instead doubles its tables at its own fill fraction in [7/16, 7/8), drawn
// from a hash of its identity (7/8 is Abseil's own limit), which spreads the
// copies over the time the tables take to double.
#include <cstdint>

namespace broker {

// The fill fraction at which an owner whose identity hashes to `h` doubles.
inline double staggered_growth_point(uint64_t h) {
  return 0.4375 + 0.4375 * static_cast<double>(h % 4096) / 4096.0;
}

// Doubles `table` once it is `point` full: capacity 2^k - 1 -> 2^(k+1) - 1.
template <class Table>
void grow_at(Table& table, double point) {
  if (static_cast<double>(table.size()) >= point * static_cast<double>(table.capacity()))
    table.reserve(table.capacity() + 1);
}

} // namespace broker
