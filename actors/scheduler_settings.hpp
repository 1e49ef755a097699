#pragma once
// brokerd's settings for CAF's scheduler, in one place so that order_bench
// runs the scheduler as it ships. Each applies only where the configuration
// (brokerd.ini, flags, order_bench's --workers and --caf) left it unset.
namespace caf {
class actor_system_config;
}

namespace broker {

// scheduler.max-threads: one worker per core, at least two.
// work-stealing.moderate-sleep-duration: 250us, and
// work-stealing.moderate-poll-attempts: 1 (see the .cpp for why).
void apply_scheduler_defaults(caf::actor_system_config& cfg);

} // namespace broker
