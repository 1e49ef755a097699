#pragma once
// One user's watchlists. Plain C++, owned by the account actor (the only
// writer of the user's state); each change appends the list's row to a
// write_batch and answers once it is durable.
//
// Invariants: at most max_watchlists live lists; names unique among them
// (case-insensitive); each list holds at most max_watchlist_symbols known
// symbols, without duplicates.
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/instruments.hpp"
#include "protocol/reject_reason.hpp"
#include "protocol/watchlists.hpp"
#include "storage/store.hpp"

namespace broker {

class watchlist_book {
public:
  watchlist_book(user_id user, std::vector<watchlist> stored);

  std::vector<watchlist> lists() const; // live ones, by id
  std::variant<watchlist, rejection> get(int64_t id) const;
  std::variant<watchlist, rejection> create(const std::string& name,
                                            const std::vector<std::string>& symbols,
                                            const instrument_table& instruments, timestamp now,
                                            write_batch& out);
  // Renames and/or replaces the symbols (what is given).
  std::variant<watchlist, rejection> update(int64_t id, const std::optional<std::string>& name,
                                            const std::optional<std::vector<std::string>>& symbols,
                                            const instrument_table& instruments, timestamp now,
                                            write_batch& out);
  std::variant<watchlist, rejection> add(int64_t id, const std::vector<std::string>& symbols,
                                         const instrument_table& instruments, timestamp now,
                                         write_batch& out);
  std::variant<watchlist, rejection> remove_symbol(int64_t id, const std::string& symbol,
                                                   timestamp now, write_batch& out);
  std::variant<watchlist, rejection> remove(int64_t id, timestamp now, write_batch& out);
  // The batch holding a change failed: the list goes back to how it was.
  void restore(const std::optional<watchlist>& before, int64_t id);

private:
  std::optional<rejection> check_name(const std::string& name, int64_t except_id) const;
  std::variant<std::vector<std::string>, rejection>
  checked_symbols(std::vector<std::string> wanted, const instrument_table& instruments) const;
  watchlist* live(int64_t id);

  user_id user_;
  int64_t next_id_ = 1;
  std::map<int64_t, watchlist> lists_; // deleted ones too
};

} // namespace broker
