#include "actors/resident_memory.hpp"

#include <sys/mman.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace broker {
namespace {

constexpr int cap_ipc_lock = 14; // linux/capability.h

// CAP_IPC_LOCK lets locked memory exceed RLIMIT_MEMLOCK.
bool has_ipc_lock_capability() {
  std::ifstream status{"/proc/self/status"};
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) != 0)
      continue;
    unsigned long long caps = 0;
    std::istringstream{line.substr(7)} >> std::hex >> caps;
    return (caps >> cap_ipc_lock) & 1;
  }
  return false;
}

bool sanitized_build() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#endif
#endif
  return false;
}

} // namespace

memory_lock_result lock_resident_memory() {
  if (sanitized_build())
    return {false, "not locked: AddressSanitizer build"};
  rlimit limit{};
  getrlimit(RLIMIT_MEMLOCK, &limit);
  if (limit.rlim_cur != RLIM_INFINITY && !has_ipc_lock_capability())
    return {false, "not locked: RLIMIT_MEMLOCK is " + std::to_string(limit.rlim_cur / 1024)
                     + " KiB and there is no CAP_IPC_LOCK (run as root, grant CAP_IPC_LOCK, "
                       "or set the memlock limit to unlimited); fresh pages fault as they are touched"};
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
    return {false, std::string{"not locked: mlockall failed: "} + std::strerror(errno)};
  return {true, "memory locked: pages are populated as mapped and never swapped"};
}

} // namespace broker
