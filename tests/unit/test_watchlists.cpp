#include <catch2/catch.hpp>

#include "actors/watchlist_book.hpp"

using namespace broker;

namespace {

instrument_table some_instruments() {
  std::vector<instrument> all;
  std::vector<std::string> symbols{"RELIANCE", "TCS", "INFY", "HDFCBANK", "M&M"};
  for (int n = 0; n < 60; ++n)
    symbols.push_back("S" + std::to_string(n));
  for (auto& s : symbols) {
    instrument i;
    i.symbol = s;
    i.name = s;
    i.reference_price = 100000;
    all.push_back(i);
  }
  return instrument_table{std::move(all)};
}

rejection refused(const std::variant<watchlist, rejection>& r) {
  REQUIRE(std::holds_alternative<rejection>(r));
  return std::get<rejection>(r);
}

watchlist made(const std::variant<watchlist, rejection>& r) {
  if (auto rej = std::get_if<rejection>(&r))
    FAIL(code_of(rej->reason) << ": " << rej->message);
  return std::get<watchlist>(r);
}

} // namespace

TEST_CASE("watchlists: create, rename, add, remove, delete; limits and errors", "[watchlists]") {
  auto instruments = some_instruments();
  watchlist_book book{5, {}};
  write_batch out;
  auto banks = made(book.create("Banks", {"HDFCBANK", "TCS", "HDFCBANK"}, instruments, 1, out));
  CHECK(banks.id == 1);
  CHECK(banks.user == 5);
  CHECK(banks.symbols == std::vector<std::string>{"HDFCBANK", "TCS"}); // duplicates dropped
  REQUIRE(out.watchlists.size() == 1);

  CHECK(refused(book.create("banks", {}, instruments, 2, out)).reason == reject_reason::watchlist_name_taken);
  auto unknown = refused(book.create("X", {"TCS", "NOPE"}, instruments, 2, out));
  CHECK(unknown.reason == reject_reason::unknown_symbol);
  CHECK(unknown.message.find("NOPE") != std::string::npos);
  CHECK(unknown.field == "symbols");
  CHECK(out.watchlists.size() == 1); // refusals write nothing

  auto it = made(book.add(banks.id, {"INFY", "TCS"}, instruments, 3, out));
  CHECK(it.symbols == std::vector<std::string>{"HDFCBANK", "TCS", "INFY"});
  it = made(book.remove_symbol(banks.id, "TCS", 4, out));
  CHECK(it.symbols == std::vector<std::string>{"HDFCBANK", "INFY"});
  CHECK(refused(book.remove_symbol(banks.id, "TCS", 4, out)).reason == reject_reason::unknown_symbol);
  it = made(book.update(banks.id, std::string{"Lenders"}, std::nullopt, instruments, 5, out));
  CHECK(it.name == "Lenders");
  CHECK(it.symbols.size() == 2);

  // Full: 50 symbols at most, and a refused change leaves the list as it was.
  std::vector<std::string> many;
  for (int n = 0; n < 51; ++n)
    many.push_back("S" + std::to_string(n));
  CHECK(refused(book.update(banks.id, std::nullopt, many, instruments, 6, out)).reason
        == reject_reason::watchlist_full);
  many.pop_back();
  CHECK(made(book.update(banks.id, std::nullopt, many, instruments, 6, out)).symbols.size() == 50);
  CHECK(refused(book.add(banks.id, {"TCS"}, instruments, 6, out)).reason == reject_reason::watchlist_full);
  CHECK(made(book.add(banks.id, {"S0"}, instruments, 6, out)).symbols.size() == 50); // already there

  // Ten lists at most; a deleted one frees its place but not its id.
  for (int i = 2; i <= 10; ++i)
    made(book.create("L" + std::to_string(i), {}, instruments, 7, out));
  CHECK(refused(book.create("L11", {}, instruments, 8, out)).reason == reject_reason::too_many_watchlists);
  made(book.remove(3, 9, out));
  CHECK(refused(book.get(3)).reason == reject_reason::watchlist_not_found);
  CHECK(refused(book.remove(3, 9, out)).reason == reject_reason::watchlist_not_found);
  auto again = made(book.create("L3", {}, instruments, 10, out)); // the name is free again
  CHECK(again.id == 11);
  CHECK(book.lists().size() == 10);

  // Reloaded from what was written: the same lists, and ids go on from 12.
  std::map<int64_t, watchlist> last;
  for (auto& w : out.watchlists)
    last[w.id] = w;
  std::vector<watchlist> stored;
  for (auto& [_, w] : last)
    stored.push_back(w);
  watchlist_book reloaded{5, stored};
  CHECK(reloaded.lists().size() == 10);
  write_batch more;
  made(reloaded.remove(1, 11, more));
  CHECK(made(reloaded.create("New", {}, instruments, 12, more)).id == 12);
}

TEST_CASE("watchlists: a change whose write failed is put back", "[watchlists]") {
  auto instruments = some_instruments();
  watchlist_book book{5, {}};
  write_batch out;
  auto w = made(book.create("Mine", {"TCS"}, instruments, 1, out));
  auto before = made(book.get(w.id));
  made(book.add(w.id, {"INFY"}, instruments, 2, out));
  book.restore(before, w.id);
  CHECK(made(book.get(w.id)).symbols == std::vector<std::string>{"TCS"});
  auto fresh = made(book.create("Fresh", {}, instruments, 3, out));
  book.restore(std::nullopt, fresh.id);
  CHECK(refused(book.get(fresh.id)).reason == reject_reason::watchlist_not_found);
  CHECK(made(book.create("Fresh", {}, instruments, 4, out)).id == fresh.id + 1); // ids never reused
}
