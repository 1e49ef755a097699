#include "actors/persistence.hpp"
#include "actors/instrumented_behavior.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/views.hpp"

namespace broker {

namespace {

size_t rows(const write_batch& b) { return b.rows(); }

struct persistence_state {
  std::shared_ptr<store> db;
  persistence_options opts;
  write_batch open;                            // rows waiting for the next transaction
  std::vector<caf::response_promise> waiting;  // requesters of those rows
  bool flush_queued = false;
  bool paced = false; // this flush already waited for min_commit_interval
  std::chrono::steady_clock::time_point last_commit_start;
  caf::error stopping; // set once asked to exit
  uint64_t commits = 0;
  // For the console: the last transaction's size and outcome.
  size_t last_batch_rows = 0;
  size_t last_batch_requesters = 0;
  bool last_commit_failed = false;
  uint64_t transactions = 0; // started, committed or not: the probe's numbering
  // Outage state: consecutive failed commits, and when the store may be tried again.
  int failures = 0;
  caf::actor_clock::time_point retry_at;
  static inline const char* name = "persistence";
};

using persistence_ptr = caf::stateful_actor<persistence_state>*;

// One transaction for `batch`, unless the store is in an outage and its
// back-off has not passed. An empty error means committed.
caf::error try_commit(persistence_ptr self, const write_batch& batch) {
  auto& st = self->state;
  auto now = self->clock().now();
  if (st.failures > 0 && now < st.retry_at)
    return to_error(rejection{reject_reason::storage_unavailable,
                              "the database is unavailable; the broker retries it with back-off",
                              {}});
  auto transaction = st.transactions++;
  if (st.opts.probe)
    st.opts.probe->committing(transaction);
  try {
    auto started = std::chrono::steady_clock::now();
    st.db->commit(batch);
    auto ended = std::chrono::steady_clock::now();
    if (st.opts.timings)
      st.opts.timings->record(ended - started);
    if (st.opts.probe)
      st.opts.probe->committed(transaction, started, ended);
    ++st.commits;
    if (st.failures > 0)
      std::fprintf(stderr, "persistence: the store is back after %d failed commit(s)\n",
                   st.failures);
    st.failures = 0;
    return {};
  } catch (const std::exception& e) {
    ++st.failures;
    auto backoff = st.opts.retry_backoff_min;
    for (int i = 1; i < st.failures && backoff < st.opts.retry_backoff_max; ++i)
      backoff *= 2;
    backoff = std::min(backoff, st.opts.retry_backoff_max);
    st.retry_at = now + backoff;
    // Loud: an operator must see that the books stopped being written.
    std::fprintf(stderr,
                 "persistence: commit of %zu rows failed (%d in a row): %s; next try in %lld ms\n",
                 rows(batch), st.failures, e.what(), static_cast<long long>(backoff.count()));
    return to_error(rejection{reject_reason::storage_unavailable, e.what(), {}});
  }
}

void flush(persistence_ptr self) {
  auto& st = self->state;
  st.flush_queued = false;
  if (st.open.empty() && st.waiting.empty())
    return;
  auto interval = st.opts.min_commit_interval;
  if (interval.count() > 0 && st.opts.detached && !st.stopping && !st.paced
      && rows(st.open) < st.opts.max_batch_rows) {
    auto allowed = st.last_commit_start + interval;
    if (std::chrono::steady_clock::now() < allowed) {
      std::this_thread::sleep_until(allowed);
      // Queued behind the commits that arrived while this thread slept, so
      // they join this batch.
      st.paced = true;
      st.flush_queued = true;
      self->send(self, flush_now_atom::value);
      return;
    }
  }
  st.paced = false;
  st.last_commit_start = std::chrono::steady_clock::now();
  auto batch = std::move(st.open);
  auto waiting = std::move(st.waiting);
  st.open = write_batch{};
  st.waiting.clear();
  caf::error failure;
  if (!batch.empty())
    failure = try_commit(self, batch);
  st.last_batch_rows = batch.rows();
  st.last_batch_requesters = waiting.size();
  st.last_commit_failed = static_cast<bool>(failure);
  for (auto& rp : waiting)
    failure ? rp.deliver(failure) : rp.deliver(caf::ok_atom::value);
}

// Adds rows to the open batch and makes sure a flush will run: at once when
// the batch is full, else queued behind the messages already waiting.
void enqueue(persistence_ptr self, write_batch&& batch) {
  auto& st = self->state;
  st.open.append(std::move(batch));
  if (rows(st.open) >= st.opts.max_batch_rows) {
    flush(self);
  } else if (!st.flush_queued) {
    st.flush_queued = true;
    self->send(self, flush_now_atom::value);
  }
}

} // namespace

caf::behavior persistence_actor(persistence_ptr self, std::shared_ptr<store> db,
                                persistence_options opts) {
  self->state.db = std::move(db);
  self->state.opts = opts;
  if (opts.on_thread_start)
    opts.on_thread_start();
  // Asked to stop: finish what is queued first. The exit may overtake commits
  // already in the mailbox, so the last flush is queued behind them.
  self->set_exit_handler([=](const caf::exit_msg& em) {
    self->state.stopping = em.reason;
    self->send(self, flush_now_atom::value);
  });
  return instrumented(self, opts.census, actor_kind::persistence, "", 0, {
    [=](inspect_atom) {
      auto& st = self->state;
      json_writer w;
      w.begin_object()
        .field("openRows", static_cast<int64_t>(st.open.rows()))
        .field("waitingRequesters", static_cast<int64_t>(st.waiting.size()))
        .field("commits", static_cast<int64_t>(st.commits))
        .field("transactions", static_cast<int64_t>(st.transactions))
        .field("lastBatchRows", static_cast<int64_t>(st.last_batch_rows))
        .field("lastBatchRequesters", static_cast<int64_t>(st.last_batch_requesters))
        .field("lastCommitFailed", st.last_commit_failed)
        .field("consecutiveFailures", st.failures)
        .field("maxBatchRows", static_cast<int64_t>(st.opts.max_batch_rows))
        .field("minCommitIntervalUs", static_cast<int64_t>(st.opts.min_commit_interval.count()))
        .end_object();
      return w.take();
    },
    [=](commit_atom, write_batch& batch) -> caf::result<caf::ok_atom> {
      if (self->state.opts.probe && !batch.empty())
        self->state.opts.probe->arrived(batch, self->state.transactions,
                                        std::chrono::steady_clock::now());
      self->state.waiting.push_back(self->make_response_promise());
      enqueue(self, std::move(batch));
      return caf::delegated<caf::ok_atom>{};
    },
    [=](flush_now_atom) {
      flush(self);
      if (self->state.stopping)
        self->quit(self->state.stopping);
    },
    [=](caf::get_atom) { return self->state.commits; },
  });
}

caf::actor spawn_persistence(caf::actor_system& sys, std::shared_ptr<store> db,
                             persistence_options opts) {
  if (opts.detached)
    return sys.spawn<caf::detached>(persistence_actor, std::move(db), opts);
  return sys.spawn(persistence_actor, std::move(db), opts);
}

} // namespace broker
