#include "actors/books_arena_hook.hpp"

#include "actors/resident_memory.hpp"

namespace broker {

void books_arena_hook::thread_started() { join_books_arena(); }

} // namespace broker
