#pragma once
// The persistence actor: the store's only writer. Runs on its own thread
// (caf::detached) because a commit blocks.
//
// Group commit: every (commit_atom, batch) is appended to the open batch and a
// flush is queued behind whatever is already in the mailbox, so all commits
// that arrive while one transaction runs go into the next one together. A
// requester is answered ok_atom only after the transaction holding its rows
// has committed, or with an error if it failed (nothing of it was written,
// and the requester decides: undo and answer 503, or retry later).
#include <chrono>
#include <functional>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/census.hpp"
#include "actors/commit_timings.hpp"
#include "storage/store.hpp"

namespace broker {

// Where an acknowledgement's time goes inside persistence: a batch arrives,
// joins the next transaction to start (numbered from 0), which then runs from
// `start` to `end`. For measurements only; implementations must be cheap.
class persistence_probe {
public:
  virtual ~persistence_probe() = default;
  virtual void arrived(const write_batch& batch, uint64_t transaction,
                       std::chrono::steady_clock::time_point at) = 0;
  virtual void committing(uint64_t transaction) = 0; // about to begin it
  virtual void committed(uint64_t transaction, std::chrono::steady_clock::time_point start,
                         std::chrono::steady_clock::time_point end) = 0;
};

struct persistence_options {
  size_t max_batch_rows = 4096; // flush early once a batch holds this many rows
  // Own thread in production. Tests on the deterministic scheduler turn it off:
  // CAF gives a detached actor a real thread even there.
  bool detached = true;
  // Under load, start a commit at most this often after the previous one
  // started: the commits that arrive meanwhile share it, so there are fewer
  // fsyncs (each one a costly device flush) per order. A commit after a quiet
  // spell starts at once. Needs `detached` (the wait blocks the actor's own
  // thread); 0 turns it off. Pacing on the steady clock, not business time.
  std::chrono::microseconds min_commit_interval{1000};
  // Run first thing on the persistence actor's thread (with `detached`, its
  // own): a benchmark's thread priority, say. Empty: nothing.
  std::function<void()> on_thread_start;
  // After a failed commit the store is not tried again until a back-off has
  // passed (doubling from retry_backoff_min to retry_backoff_max): meanwhile
  // every batch is refused at once (storage_unavailable, 503) instead of
  // each waiting out a dead database. Reads served from memory go on. The
  // next batch after the back-off is the probe; its success ends the outage.
  // On the actor clock, so tests drive it with the test clock.
  std::chrono::milliseconds retry_backoff_min{100};
  std::chrono::milliseconds retry_backoff_max{5000};
  // If set, each transaction's wall time is recorded there (order_bench).
  std::shared_ptr<commit_timings> timings;
  // If set, told of every batch's arrival and every transaction (order_bench's
  // per-stage latency). Called on the persistence thread.
  std::shared_ptr<persistence_probe> probe;
  std::shared_ptr<actor_census> census; // null: not enrolled
};

caf::actor spawn_persistence(caf::actor_system& sys, std::shared_ptr<store> db,
                             persistence_options opts);

} // namespace broker
