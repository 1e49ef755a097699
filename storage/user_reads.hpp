#pragma once
// Both backends read one user's rows (store::load_user) with their
// whole-table reads narrowed to that user.
#include <string>

namespace broker {

// `select` (a whole-table read ending in ORDER BY) restricted to the rows
// whose `column` equals `parameter` (SQLite "?1", PostgreSQL "$1"): the
// condition goes before the ORDER BY, joined to a WHERE already there.
std::string for_one_user(const std::string& select, const std::string& column, const std::string& parameter);

} // namespace broker
