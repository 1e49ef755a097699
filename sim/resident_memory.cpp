#include "sim/resident_memory.hpp"

#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "sim/books_reservoir.hpp"

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

// jemalloc's mallctl when the process runs on jemalloc (the release
// binaries; not the sanitizer builds), else null. Looked up at run time so
// this file links either way.
using mallctl_fn = int (*)(const char*, void*, size_t*, void*, size_t);
mallctl_fn find_mallctl() {
  return reinterpret_cast<mallctl_fn>(dlsym(RTLD_DEFAULT, "mallctl"));
}

// The mallctl name of one arena's setting, e.g. "arena.3.retain_grow_limit".
std::string arena_setting(unsigned arena, const char* setting) {
  return "arena." + std::to_string(arena) + "." + setting;
}

// What lock_resident_memory() lets the allocator map at once (see the header).
constexpr size_t locked_grow_step = size_t{2} << 20;

// One arena grows by at most `step` and never purges (see the header).
// True when the growth limit took.
bool limit_arena(mallctl_fn mallctl, unsigned arena, size_t step) {
  ssize_t never = -1;
  bool limited = mallctl(arena_setting(arena, "retain_grow_limit").c_str(), nullptr, nullptr,
                         &step, sizeof step) == 0;
  mallctl(arena_setting(arena, "dirty_decay_ms").c_str(), nullptr, nullptr, &never, sizeof never);
  mallctl(arena_setting(arena, "muzzy_decay_ms").c_str(), nullptr, nullptr, &never, sizeof never);
  return limited;
}

} // namespace
} // namespace broker

// jemalloc reads this at start. By default it won't cut a slab out of a free
// extent over 64 times the slab's size, so memory freed in big pieces (the
// pre-touch below) would sit unused while the arena maps more for small
// objects; any fit is allowed instead. Read only by jemalloc.
extern "C" const char* malloc_conf;
const char* malloc_conf = "lg_extent_max_active_fit:30";

namespace broker {

allocator_growth limit_allocator_growth(size_t step) {
  allocator_growth result;
  auto mallctl = find_mallctl();
  if (!mallctl)
    return result;
  result.on_jemalloc = true;
  unsigned own = 0;
  size_t size = sizeof(unsigned);
  if (mallctl("arenas.narenas", &result.arenas, &size, nullptr, 0) != 0)
    return result;
  size = sizeof(unsigned);
  if (mallctl("thread.arena", &own, &size, nullptr, 0) != 0)
    return result;
  ssize_t never = -1;
  mallctl("arenas.dirty_decay_ms", nullptr, nullptr, &never, sizeof never);
  mallctl("arenas.muzzy_decay_ms", nullptr, nullptr, &never, sizeof never);
  for (unsigned i = 0; i < result.arenas; ++i) {
    // An arena exists only once a thread has used it; binding this thread
    // to it creates it, so every arena has the limit before it grows.
    if (mallctl("thread.arena", nullptr, nullptr, &i, sizeof i) != 0)
      continue;
    if (limit_arena(mallctl, i, step))
      ++result.limited;
  }
  mallctl("thread.arena", nullptr, nullptr, &own, sizeof own);
  return result;
}

size_t allocator_grow_limit(unsigned arena) {
  auto mallctl = find_mallctl();
  size_t limit = 0, size = sizeof limit;
  if (!mallctl
      || mallctl(arena_setting(arena, "retain_grow_limit").c_str(), &limit, &size, nullptr, 0) != 0)
    return 0;
  return limit;
}

namespace {
// The books' arena once created; only ever set before the actor system starts.
std::atomic<int> books_arena_index{-1};

// The largest of jemalloc's large size classes up to `bytes` (0 if none).
size_t largest_size_class(mallctl_fn mallctl, size_t bytes) {
  unsigned classes = 0;
  size_t size = sizeof classes;
  if (mallctl("arenas.nlextents", &classes, &size, nullptr, 0) != 0)
    return 0;
  size_t best = 0;
  for (unsigned i = 0; i < classes; ++i) {
    size_t bound = 0;
    size = sizeof bound;
    std::string name = "arenas.lextent." + std::to_string(i) + ".size";
    if (mallctl(name.c_str(), &bound, &size, nullptr, 0) == 0 && bound <= bytes)
      best = std::max(best, bound);
  }
  return best;
}

// Pre-touches `bytes` (a size class) in the calling thread's arena, and
// leaves it there free, as one extent. Returns the bytes pre-touched.
//
// jemalloc pads a large allocation with a page and maps the next size class
// up, so a whole `bytes` would map a class more; the largest class that fits
// with its page makes the arena map exactly `bytes`, the rest of which it
// keeps apart until used.
// Then the same range once more in 2 MiB pieces: registering each piece makes
// the nodes of jemalloc's page map (memory it maps itself, outside any arena)
// for the whole range now rather than under an order. Freed, the pieces merge
// back into one free extent; purging is off, so the arena keeps it for the
// books to grow into.
size_t pre_touch(mallctl_fn mallctl, size_t bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t whole = largest_size_class(mallctl, bytes - page);
  auto* p = static_cast<volatile char*>(whole ? std::malloc(whole) : nullptr);
  if (p == nullptr)
    return 0;
  for (size_t at = 0; at < whole; at += page)
    p[at] = 0; // populated already (reservoir, or locked memory); touched here if not
  std::free(const_cast<char*>(p));
  // A piece that needed new memory means the range is covered: with a
  // reservoir that shows (its use or its fallbacks grow), and the loop stops
  // there; without one, at `bytes`, a piece or two past what the two parts
  // above hold (no piece can straddle them).
  std::vector<void*> pieces;
  const size_t taken = locked_grow_step + page; // a piece and its page
  const size_t used_at_start = books_reservoir::used();
  const size_t fallbacks_at_start = books_reservoir::fallback_maps();
  for (size_t done = 0; done < bytes; done += taken) {
    auto* q = static_cast<volatile char*>(std::malloc(locked_grow_step));
    if (q == nullptr)
      break;
    for (size_t at = 0; at < locked_grow_step; at += page)
      q[at] = 0; // the part kept apart above is touched here if not yet
    pieces.push_back(const_cast<char*>(q));
    if (books_reservoir::used() != used_at_start
        || books_reservoir::fallback_maps() != fallbacks_at_start)
      break;
  }
  for (void* q : pieces)
    std::free(q);
  return bytes;
}

} // namespace

books_arena prepare_books_arena(size_t prefault_bytes) {
  books_arena result;
  auto mallctl = find_mallctl();
  if (!mallctl)
    return result;
  unsigned index = 0;
  size_t size = sizeof index;
  prefault_bytes = largest_size_class(mallctl, prefault_bytes);
  void* hooks = nullptr; // a jemalloc extent_hooks_t*
  if (prefault_bytes > 0) {
    void* own = nullptr; // jemalloc's own hooks, for past the reservoir
    size_t own_size = sizeof own;
    if (mallctl("arena.0.extent_hooks", &own, &own_size, nullptr, 0) == 0 && own != nullptr)
      hooks = books_reservoir::map(own, books_reservoir::size_for(prefault_bytes));
  }
  if (mallctl("arenas.create", &index, &size, hooks ? &hooks : nullptr, hooks ? sizeof hooks : 0)
      != 0)
    return result;
  result.reserved = hooks ? books_reservoir::size() : 0;
  limit_arena(mallctl, index, locked_grow_step);
  result.created = true;
  result.index = index;
  books_arena_index.store(static_cast<int>(index));
  // The caller stays in the arena: jemalloc purges an arena's free pages
  // when the last thread leaves it, which would undo the pre-touch (without
  // locked memory; with it the purge fails, madvise refusing locked pages).
  mallctl("thread.arena", nullptr, nullptr, &index, sizeof index);
  if (prefault_bytes > 0)
    result.prefaulted = pre_touch(mallctl, prefault_bytes);
  return result;
}

size_t books_arena_fallback_maps() { return books_reservoir::fallback_maps(); }

void join_books_arena() {
  int index = books_arena_index.load();
  auto mallctl = find_mallctl();
  if (index < 0 || !mallctl)
    return;
  unsigned arena = static_cast<unsigned>(index);
  mallctl("thread.arena", nullptr, nullptr, &arena, sizeof arena);
}

int arena_of_this_thread() {
  auto mallctl = find_mallctl();
  unsigned arena = 0;
  size_t size = sizeof arena;
  if (!mallctl || mallctl("thread.arena", &arena, &size, nullptr, 0) != 0)
    return -1;
  return static_cast<int>(arena);
}

std::vector<size_t> allocator_resident_by_arena() {
  std::vector<size_t> out;
  auto mallctl = find_mallctl();
  if (!mallctl)
    return out;
  uint64_t epoch = 1;
  size_t size = sizeof epoch;
  mallctl("epoch", &epoch, &size, &epoch, size); // refreshes the stats
  unsigned arenas = 0;
  size = sizeof arenas;
  if (mallctl("arenas.narenas", &arenas, &size, nullptr, 0) != 0)
    return out;
  for (unsigned i = 0; i < arenas; ++i) {
    size_t resident = 0;
    size = sizeof resident;
    std::string name = "stats.arenas." + std::to_string(i) + ".resident";
    out.push_back(mallctl(name.c_str(), &resident, &size, nullptr, 0) == 0 ? resident : 0);
  }
  return out;
}

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
  std::string detail = "memory locked: pages are populated as mapped and never swapped";
  auto growth = limit_allocator_growth(locked_grow_step);
  if (growth.on_jemalloc)
    detail += "; the allocator maps " + std::to_string(locked_grow_step >> 20)
              + " MiB at a time (" + std::to_string(growth.limited) + " of "
              + std::to_string(growth.arenas) + " arenas)";
  return {true, detail};
}

} // namespace broker
