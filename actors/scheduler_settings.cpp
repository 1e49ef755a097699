#include "actors/scheduler_settings.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <caf/actor_system_config.hpp>
#include <caf/config_value.hpp>
#include <caf/settings.hpp>

namespace broker {

void apply_scheduler_defaults(caf::actor_system_config& cfg) {
  // CAF defaults to max(4, cores) workers; on a small machine the extra
  // threads only compete with the persistence and I/O threads.
  if (!caf::get_if<size_t>(&cfg, "scheduler.max-threads"))
    cfg.set("scheduler.max-threads", size_t{std::max(2u, std::thread::hardware_concurrency())});
  // A worker that runs out of work polls, then sleeps this long between
  // polls (CAF's default is 50us), then waits on a condition variable. Each
  // sleep is a syscall and two context switches, dear on a VM: at 50us the
  // workers' sleeps were ~7% of the process's CPU at 20k orders/s. 250us costs
  // a job at most that much wait when the worker holding it sleeps, against a
  // 10 ms latency budget (order_bench, three interleaved pairs at 20k/s: the
  // first fifth's p99 8.6-9.4 -> 5.8-6.7 ms, and less CPU per order).
  if (!caf::get_if<caf::timespan>(&cfg, "work-stealing.moderate-sleep-duration"))
    cfg.set("work-stealing.moderate-sleep-duration",
            caf::timespan{std::chrono::microseconds{250}});
  // After its spinning polls, a worker sleeps between polls this many times
  // (CAF: 500) before it waits on its condition variable, which a message
  // from outside the workers (an I/O thread, the clock, another process's
  // answer) signals. Work that arrives in bursts a few ms apart (a feed
  // batch, a conflation beat) never let the 500 run out, so an idle worker
  // woke every 250us for ever: half of brokerd's CPU with a 100k ticks/s
  // feed and no clients (0.14 -> 0.05 cores), and ~0.1 core under 1,000
  // WebSocket clients. The order path at 20k orders/s is unchanged (three
  // interleaved pairs: 53-63 us per order, p99 4-7 ms, either way).
  if (!caf::get_if<size_t>(&cfg, "work-stealing.moderate-poll-attempts"))
    cfg.set("work-stealing.moderate-poll-attempts", size_t{1});
}

} // namespace broker
