#include "sim/books_arena_hook.hpp"

#include "sim/resident_memory.hpp"

namespace broker {

void books_arena_hook::thread_started() { join_books_arena(); }

} // namespace broker
