// core_bench: CPU cost of the order path's single-threaded pieces, without
// actors, threads or a disk's fsync (Google Benchmark).
//
// order_bench measures the whole path under load, but on a shared 2-core VM
// its CPU per order moves by 10-20% between identical runs. These pieces run
// alone, repeated, so a change to one of them can be judged by its median:
//
//   account_place_accept  account_book::place, then the exchange's "accepted"
//                         report applied: what an account actor does per order.
//                         Args: books (round robin, as order_bench's users),
//                         orders already resting in each book; every
//                         iteration adds one more (200k iterations).
//   store_commit          sqlite_store::commit of the rows those two steps
//                         write, in batches of the size order_bench's group
//                         commit reaches at 20k/s (~32 orders). The database is
//                         on tmpfs when there is one: the syscalls are paid,
//                         the device is not.
//   sim_book_submit       the simulated exchange's order_book::submit of a
//                         limit order that rests. Arg: orders already resting.
//
//   ./build-release/core_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "actors/account_book.hpp"
#include "sim/order_book.hpp"
#include "storage/sqlite_store.hpp"

namespace {

using namespace broker;
namespace fs = std::filesystem;

constexpr money lower_band = 196000; // RELIANCE's band at reference 2450.00, 20%

instrument reliance() {
  instrument i;
  i.symbol = "RELIANCE";
  i.name = "Reliance Industries";
  i.tick_size = 5;
  i.lot_size = 1;
  i.reference_price = 245000;
  i.band_percent = 20;
  return i;
}

account_book funded_book(user_id id) {
  account_seed seed;
  seed.profile.id = id;
  seed.profile.email = "u" + std::to_string(id) + "@example.com";
  seed.profile.kyc = kyc_status::verified;
  seed.account.user = id;
  give_opening_balance(seed, money{1'000'000'000'000}); // never runs out in a run
  return account_book{std::move(seed)};
}

// Books, a counter for idempotency keys and exec ids, and the two steps.
struct order_path {
  instrument inst = reliance();
  std::vector<account_book> books;
  int64_t next = 0;

  explicit order_path(int64_t n_books) {
    books.reserve(static_cast<size_t>(n_books));
    for (int64_t u = 1; u <= n_books; ++u)
      books.push_back(funded_book(u));
  }

  // One order on the next book in turn: placed, then accepted. Both steps'
  // rows go to `out`.
  void place_and_accept(write_batch& out) {
    auto& book = books[static_cast<size_t>(next % static_cast<int64_t>(books.size()))];
    ++next;
    place_order_request r;
    r.symbol = inst.symbol;
    r.side = side::buy;
    r.type = order_type::limit;
    r.quantity = 1;
    r.price = lower_band;
    auto placed = book.place(r, "k" + std::to_string(next), &inst, true, next, out);
    const auto* o = std::get_if<order>(&placed.result);
    if (!o)
      throw std::runtime_error("core_bench: an order was rejected");
    execution_report ack;
    ack.exec_id = "E" + std::to_string(next);
    ack.client_order_id = o->id;
    ack.account = o->user;
    ack.exchange_order_id = "X" + std::to_string(o->id);
    ack.kind = exec_kind::accepted;
    ack.leaves_quantity = o->quantity;
    ack.time = next;
    book.apply_report(ack, next, out);
  }

  void rest_in_each(int64_t per_book) {
    write_batch discard;
    for (int64_t i = 0; i < per_book * static_cast<int64_t>(books.size()); ++i) {
      place_and_accept(discard);
      if (discard.rows() > 4096)
        discard = write_batch{};
    }
  }
};

void account_place_accept(benchmark::State& state) {
  order_path path(state.range(0));
  path.rest_in_each(state.range(1));
  for (auto _ : state) {
    write_batch out;
    path.place_and_accept(out);
    benchmark::DoNotOptimize(out.orders.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(account_place_accept)
  ->Args({1, 0})
  ->Args({1000, 0})
  ->Args({1000, 300})
  ->Args({1000, 1000})
  ->Iterations(200'000) // each adds a resting order: a fixed count keeps the books' size known
  ->Unit(benchmark::kMicrosecond);

fs::path scratch_dir() {
  fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  std::string pattern = (base / "core_bench.XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    throw std::runtime_error("core_bench: mkdtemp failed");
  return pattern;
}

void store_commit(benchmark::State& state) {
  const int64_t orders_per_commit = state.range(0);
  fs::path dir = scratch_dir();
  {
    sqlite_store store((dir / "broker.db").string());
    order_path path(1000);
    for (auto _ : state) {
      state.PauseTiming();
      write_batch batch;
      for (int64_t i = 0; i < orders_per_commit; ++i)
        path.place_and_accept(batch);
      state.ResumeTiming();
      store.commit(batch);
    }
    state.SetItemsProcessed(state.iterations() * orders_per_commit);
  }
  fs::remove_all(dir);
}
BENCHMARK(store_commit)->Arg(32)->Iterations(5'000)->Unit(benchmark::kMicrosecond);

void sim_book_submit(benchmark::State& state) {
  sim::order_book book("RELIANCE", 5, lower_band, 294000);
  int64_t next = 0;
  auto submit = [&] {
    sim::book_order o;
    o.id = "X" + std::to_string(++next);
    o.participant = "broker";
    o.side = side::buy;
    o.type = sim::book_order_type::limit;
    o.quantity = 1;
    o.price = lower_band + 5 * (next % 64); // a few dozen levels, none crossing
    return book.submit(std::move(o));
  };
  for (int64_t i = 0; i < state.range(0); ++i)
    submit();
  for (auto _ : state) {
    auto events = submit();
    benchmark::DoNotOptimize(events.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(sim_book_submit)->Arg(0)->Arg(30'000)->Iterations(200'000)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
