#include "protocol/clock.hpp"

#include <chrono>

namespace broker {

timestamp system_utc_clock::now() const {
  // The one place the broker reads the wall clock.
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace broker
