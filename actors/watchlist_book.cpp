#include "actors/watchlist_book.hpp"

#include <algorithm>
#include <cctype>

namespace broker {

namespace {

rejection reject(reject_reason r, std::string message, std::string field = {}) {
  return rejection{r, std::move(message), std::move(field)};
}

std::string folded(const std::string& s) {
  std::string out = s;
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

rejection not_found() { return reject(reject_reason::watchlist_not_found, "no such watchlist"); }

} // namespace

watchlist_book::watchlist_book(user_id user, std::vector<watchlist> stored) : user_(user) {
  for (auto& w : stored) {
    next_id_ = std::max(next_id_, w.id + 1);
    lists_.emplace(w.id, std::move(w));
  }
}

std::vector<watchlist> watchlist_book::lists() const {
  std::vector<watchlist> out;
  for (auto& [_, w] : lists_)
    if (!w.deleted)
      out.push_back(w);
  return out;
}

watchlist* watchlist_book::live(int64_t id) {
  auto it = lists_.find(id);
  return it == lists_.end() || it->second.deleted ? nullptr : &it->second;
}

std::variant<watchlist, rejection> watchlist_book::get(int64_t id) const {
  auto it = lists_.find(id);
  if (it == lists_.end() || it->second.deleted)
    return not_found();
  return it->second;
}

std::optional<rejection> watchlist_book::check_name(const std::string& name, int64_t except_id) const {
  // Its shape (1..max_watchlist_name_length, not blank) was checked by the request parser.
  for (auto& [id, w] : lists_)
    if (!w.deleted && id != except_id && folded(w.name) == folded(name))
      return reject(reject_reason::watchlist_name_taken, "a watchlist named " + w.name + " exists",
                    "name");
  return std::nullopt;
}

std::variant<std::vector<std::string>, rejection>
watchlist_book::checked_symbols(std::vector<std::string> wanted,
                                const instrument_table& instruments) const {
  std::vector<std::string> out;
  for (auto& s : wanted) {
    if (!instruments.find(s))
      return reject(reject_reason::unknown_symbol, "unknown symbol " + s, "symbols");
    if (std::find(out.begin(), out.end(), s) == out.end())
      out.push_back(s);
  }
  if (out.size() > max_watchlist_symbols)
    return reject(reject_reason::watchlist_full,
                  "a watchlist holds at most " + std::to_string(max_watchlist_symbols) + " symbols",
                  "symbols");
  return out;
}

std::variant<watchlist, rejection> watchlist_book::create(const std::string& name,
                                                          const std::vector<std::string>& symbols,
                                                          const instrument_table& instruments,
                                                          timestamp now, write_batch& out) {
  if (lists().size() >= max_watchlists)
    return reject(reject_reason::too_many_watchlists,
                  "at most " + std::to_string(max_watchlists) + " watchlists; delete one first");
  if (auto bad = check_name(name, 0))
    return *bad;
  auto checked = checked_symbols(symbols, instruments);
  if (auto rej = std::get_if<rejection>(&checked))
    return *rej;
  watchlist w;
  w.user = user_;
  w.id = next_id_++;
  w.name = name;
  w.symbols = std::get<std::vector<std::string>>(std::move(checked));
  w.created_at = w.updated_at = now;
  lists_.emplace(w.id, w);
  out.watchlists.push_back(w);
  return w;
}

std::variant<watchlist, rejection> watchlist_book::update(
  int64_t id, const std::optional<std::string>& name,
  const std::optional<std::vector<std::string>>& symbols, const instrument_table& instruments,
  timestamp now, write_batch& out) {
  watchlist* w = live(id);
  if (!w)
    return not_found();
  if (name)
    if (auto bad = check_name(*name, id))
      return *bad;
  std::vector<std::string> new_symbols = w->symbols;
  if (symbols) {
    auto checked = checked_symbols(*symbols, instruments);
    if (auto rej = std::get_if<rejection>(&checked))
      return *rej;
    new_symbols = std::get<std::vector<std::string>>(std::move(checked));
  }
  if (name)
    w->name = *name;
  w->symbols = std::move(new_symbols);
  w->updated_at = now;
  out.watchlists.push_back(*w);
  return *w;
}

std::variant<watchlist, rejection> watchlist_book::add(int64_t id,
                                                       const std::vector<std::string>& symbols,
                                                       const instrument_table& instruments,
                                                       timestamp now, write_batch& out) {
  watchlist* w = live(id);
  if (!w)
    return not_found();
  auto all = w->symbols;
  all.insert(all.end(), symbols.begin(), symbols.end());
  return update(id, std::nullopt, all, instruments, now, out);
}

std::variant<watchlist, rejection> watchlist_book::remove_symbol(int64_t id, const std::string& symbol,
                                                                 timestamp now, write_batch& out) {
  watchlist* w = live(id);
  if (!w)
    return not_found();
  auto it = std::find(w->symbols.begin(), w->symbols.end(), symbol);
  if (it == w->symbols.end())
    return reject(reject_reason::unknown_symbol, symbol + " is not in this watchlist", "symbol");
  w->symbols.erase(it);
  w->updated_at = now;
  out.watchlists.push_back(*w);
  return *w;
}

std::variant<watchlist, rejection> watchlist_book::remove(int64_t id, timestamp now, write_batch& out) {
  watchlist* w = live(id);
  if (!w)
    return not_found();
  w->deleted = true;
  w->updated_at = now;
  out.watchlists.push_back(*w);
  return *w;
}

void watchlist_book::restore(const std::optional<watchlist>& before, int64_t id) {
  if (before)
    lists_[id] = *before;
  else
    lists_.erase(id); // a new list whose row never landed; its id stays used
}

} // namespace broker
