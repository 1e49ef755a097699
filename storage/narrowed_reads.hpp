#pragma once
// Both backends read one user's rows (store::load_user), or one symbol's
// alerts, with their whole-table reads narrowed to them.
#include <string>

namespace broker {

// `select` (a whole-table read ending in ORDER BY) narrowed to the rows
// whose `column` equals `parameter` (SQLite "?1", PostgreSQL "$1"): the
// condition goes before the ORDER BY, joined to a WHERE already there.
std::string rows_where(const std::string& select, const std::string& column, const std::string& parameter);

} // namespace broker
