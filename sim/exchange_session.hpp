#pragma once
// One session to an in-process exchange that outlives it: what the
// connector holds as its link in a simulation run. Killing the session is a
// dropped connection; the exchange and its books stay, and the next
// session's reconcile has the exchange send what was missed (see
// exchange_options::remember_reports).
//
// The network's faults happen here, each drawn per execution report with its
// probability from the session's seeded generator: a report delivered twice,
// one held back until after the next (or until `hold_for` passes), one
// delivered late by up to `max_delay`. Orders, cancels and status requests go
// to the exchange untouched.
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>

#include <caf/fwd.hpp>

namespace broker::sim {

struct session_faults {
  uint32_t duplicate_per_million = 0;
  uint32_t reorder_per_million = 0;
  uint32_t delay_per_million = 0;
  std::chrono::milliseconds max_delay{3000};
  std::chrono::milliseconds hold_for{1000}; // a held report goes out at the latest after this
  std::mt19937_64 rng;                        // shared by every session of a run
  uint64_t duplicated = 0, reordered = 0, delayed = 0; // injected so far
};

caf::actor spawn_exchange_session(caf::actor_system& sys, caf::actor exchange,
                                  std::shared_ptr<session_faults> faults);

} // namespace broker::sim
