#include "sim/books_reservoir.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>

namespace broker::books_reservoir {

namespace {

// jemalloc's extent hooks (jemalloc.h's extent_hooks_t, stable since 5.0),
// declared here so this file builds without jemalloc's header.
struct extent_hooks {
  void* (*alloc)(extent_hooks*, void* new_addr, size_t size, size_t alignment, bool* zero,
                 bool* commit, unsigned arena);
  bool (*dalloc)(extent_hooks*, void* addr, size_t size, bool committed, unsigned arena);
  void (*destroy)(extent_hooks*, void* addr, size_t size, bool committed, unsigned arena);
  bool (*commit)(extent_hooks*, void* addr, size_t size, size_t offset, size_t length,
                 unsigned arena);
  bool (*decommit)(extent_hooks*, void* addr, size_t size, size_t offset, size_t length,
                   unsigned arena);
  bool (*purge_lazy)(extent_hooks*, void* addr, size_t size, size_t offset, size_t length,
                     unsigned arena);
  bool (*purge_forced)(extent_hooks*, void* addr, size_t size, size_t offset, size_t length,
                       unsigned arena);
  bool (*split)(extent_hooks*, void* addr, size_t size, size_t size_a, size_t size_b,
                bool committed, unsigned arena);
  bool (*merge)(extent_hooks*, void* addr_a, size_t size_a, void* addr_b, size_t size_b,
                bool committed, unsigned arena);
};

// Invariants: [begin, end) is mapped for the life of the process; memory
// handed out is never given back (dalloc opts out, purges opt out), so a byte
// of the reservoir is handed out at most once, at `next`, and is still zero then.
struct reservoir {
  std::mutex mutex;
  char* begin = nullptr;
  char* next = nullptr;
  char* end = nullptr;
  extent_hooks* fallback = nullptr; // jemalloc's own hooks, once the reservoir is spent
  std::atomic<size_t> fallback_maps{0};
};
reservoir the_reservoir;

bool in_reservoir(const void* addr, size_t size) {
  auto* p = static_cast<const char*>(addr);
  return p >= the_reservoir.begin && p + size <= the_reservoir.end;
}

void* reservoir_alloc(extent_hooks*, void* new_addr, size_t size, size_t alignment, bool* zero,
                      bool* commit, unsigned arena) {
  auto& r = the_reservoir;
  alignment = std::max<size_t>(alignment, 1);
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    auto at = reinterpret_cast<uintptr_t>(r.next);
    at = (at + alignment - 1) & ~(uintptr_t{alignment} - 1);
    auto* p = reinterpret_cast<char*>(at);
    bool fits = p <= r.end && size <= static_cast<size_t>(r.end - p);
    if (fits && (new_addr == nullptr || new_addr == p)) {
      r.next = p + size;
      *zero = true; // never handed out before: still as mapped
      *commit = true;
      return p;
    }
    if (new_addr != nullptr && in_reservoir(new_addr, 1))
      return nullptr; // in place, but not at `next`: jemalloc copies instead
  }
  r.fallback_maps.fetch_add(1, std::memory_order_relaxed);
  return r.fallback->alloc(r.fallback, new_addr, size, alignment, zero, commit, arena);
}

// Opting out (true) keeps the memory with jemalloc, retained for reuse.
bool reservoir_keep(extent_hooks*, void*, size_t, bool, unsigned) { return true; }

void reservoir_destroy(extent_hooks*, void* addr, size_t size, bool committed, unsigned arena) {
  auto& r = the_reservoir;
  if (!in_reservoir(addr, size))
    r.fallback->destroy(r.fallback, addr, size, committed, arena);
}

// The memory is always committed (and locked): committing is a no-op, and
// decommitting or purging is declined.
bool reservoir_commit(extent_hooks*, void*, size_t, size_t, size_t, unsigned) { return false; }
bool reservoir_decline(extent_hooks*, void*, size_t, size_t, size_t, unsigned) { return true; }

// Splitting is bookkeeping only; merging too, unless it would join the
// reservoir with a fallback mapping (destroy tells them apart).
bool reservoir_split(extent_hooks*, void*, size_t, size_t, size_t, bool, unsigned) {
  return false;
}
bool reservoir_merge(extent_hooks*, void* addr_a, size_t size_a, void* addr_b, size_t size_b,
                     bool, unsigned) {
  return in_reservoir(addr_a, size_a) != in_reservoir(addr_b, size_b);
}

extent_hooks reservoir_hooks{reservoir_alloc,   reservoir_keep,    reservoir_destroy,
                             reservoir_commit,  reservoir_decline, reservoir_decline,
                             reservoir_decline, reservoir_split,   reservoir_merge};

} // namespace

size_t size_for(size_t prefault_bytes) {
  // Headroom for jemalloc's bookkeeping: its base grew ~10 MiB by 2.2 GiB of
  // books (order_bench), so 1/64 leaves room to spare.
  constexpr size_t step = size_t{2} << 20;
  size_t headroom = std::max(size_t{8} << 20, prefault_bytes / 64);
  return (prefault_bytes + headroom + step - 1) / step * step;
}

void* map(void* own_hooks, size_t bytes) {
  auto& r = the_reservoir;
  if (r.begin != nullptr || own_hooks == nullptr)
    return nullptr; // one per process: the hooks are global
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED)
    return nullptr;
  r.fallback = static_cast<extent_hooks*>(own_hooks);
  r.begin = r.next = static_cast<char*>(p);
  r.end = r.begin + bytes;
  return &reservoir_hooks;
}

size_t used() {
  std::lock_guard<std::mutex> lock(the_reservoir.mutex);
  return static_cast<size_t>(the_reservoir.next - the_reservoir.begin);
}

size_t size() { return static_cast<size_t>(the_reservoir.end - the_reservoir.begin); }

size_t fallback_maps() { return the_reservoir.fallback_maps.load(std::memory_order_relaxed); }

} // namespace broker::books_reservoir
