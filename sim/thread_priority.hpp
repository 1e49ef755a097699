#pragma once
// Nice value of the calling thread, for benchmarks that want the commit
// thread ahead of the actor workers on a small machine (order_bench,
// brokerd --persistence-nice). Not a production default: on a machine with
// cores to spare it changes nothing, and it needs CAP_SYS_NICE.
namespace broker::sim {

// Sets the calling thread's nice value; on failure writes why to stderr and
// leaves the thread as it was. `who` names the thread in that message.
void set_this_thread_nice(int nice, const char* who);

} // namespace broker::sim
