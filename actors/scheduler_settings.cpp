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
}

} // namespace broker
