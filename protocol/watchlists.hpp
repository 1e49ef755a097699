#pragma once
// Watchlists: a user's named lists of symbols to follow. The account owns
// them (one writer per user); a user never sees another's.
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/types.hpp"

namespace broker {

struct watchlist {
  user_id user = 0;
  int64_t id = 0; // per user, from 1, never reused
  std::string name;
  std::vector<std::string> symbols; // in the order added, no duplicates
  bool deleted = false;             // kept so its id is never handed out again
  timestamp created_at = 0;
  timestamp updated_at = 0;
};

// Limits, each refused with a clear error when exceeded.
constexpr size_t max_watchlists = 10;            // lists per user
constexpr size_t max_watchlist_symbols = 50;     // symbols per list
constexpr size_t max_watchlist_name_length = 40; // bytes

// Symbols are stored as one text column, comma-separated (symbols never hold a comma).
std::string join_symbols(const std::vector<std::string>& symbols);
std::vector<std::string> split_symbols(const std::string& text);

} // namespace broker
