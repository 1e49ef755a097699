#pragma once
// The books' arena's reservoir: with a pre-touch, the arena takes all its
// memory, its metadata too, from one region mapped and populated at start,
// through jemalloc extent hooks that carve it front to back.
//
// Why the metadata: jemalloc keeps an extent's bookkeeping in "base" blocks
// that it maps itself, growing 2, 4, 6, 8, 10 MiB as the books grow; each
// mapping was populated on the allocating actor's thread (locked memory) from
// pages the host had not backed, a 12-20 ms stall at the same second of every
// order_bench run (mmap traced with its stack: 4 MiB at 3 s, 6 at 12.6 s, 8 at
// 28.3 s). Past the reservoir the arena maps memory with jemalloc's own hooks.
// Used by resident_memory.cpp, which talks to jemalloc; this file only needs
// the hooks' layout.
#include <cstddef>

namespace broker::books_reservoir {

// The reservoir's size for a pre-touch of `prefault_bytes`: that plus
// headroom for jemalloc's bookkeeping.
size_t size_for(size_t prefault_bytes);
// Maps and populates `bytes`; returns the extent hooks (an extent_hooks_t*)
// to create the arena with, or null if it could not be mapped or one already
// exists (one per process: the hooks are global). `own_hooks` are jemalloc's
// (arena.0.extent_hooks), used past the reservoir.
void* map(void* own_hooks, size_t bytes);
// Bytes handed to the arena so far; the reservoir's size; how often the arena
// needed memory past it (each time a mapping made on the allocating thread).
size_t used();
size_t size();
size_t fallback_maps();

} // namespace broker::books_reservoir
