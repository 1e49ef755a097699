#include "sim/thread_priority.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace broker::sim {

void set_this_thread_nice(int nice, const char* who) {
  auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  if (::setpriority(PRIO_PROCESS, tid, nice) != 0)
    std::fprintf(stderr, "%s: could not set the thread's nice to %d (%s); it keeps the default priority\n",
                 who, nice, std::strerror(errno));
}

} // namespace broker::sim
