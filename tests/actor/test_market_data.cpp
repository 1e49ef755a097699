// Market data on CAF's deterministic scheduler: a symbol actor conflates many
// ticks into one push with the latest values; a session keeps at most one
// unsent quote per symbol, batches them into frames, holds them while the
// client is behind, and closes a client that stays behind too long.
#include <deque>
#include <mutex>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <catch2/catch.hpp>

#include "actors/messages.hpp"
#include "actors/session.hpp"
#include "actors/symbol.hpp"
#include "protocol/json_reader.hpp"

using namespace broker;

namespace {

instrument make_instrument(const std::string& symbol, money reference) {
  instrument i;
  i.symbol = symbol;
  i.name = symbol + " Ltd";
  i.tick_size = 5;
  i.lot_size = 1;
  i.reference_price = reference;
  return i;
}

// Collects what a symbol actor pushes to it.
struct recorder_state {
  std::vector<quote> pushes;
};
caf::behavior recorder(caf::stateful_actor<recorder_state>* self) {
  return {[=](push_atom, const quote& q) { self->state.pushes.push_back(q); }};
}

// A socket that never really writes: frames pile up in `frames`, and the test
// says how many are still queued.
class fake_sink final : public frame_sink {
public:
  bool send_text(std::string frame) override {
    std::lock_guard<std::mutex> lock(mutex);
    frames.push_back(std::move(frame));
    return true;
  }
  void close(uint16_t code, std::string reason) override {
    std::lock_guard<std::mutex> lock(mutex);
    if (close_code != 0)
      return; // like the real one: the first close wins
    close_code = code;
    close_reason = std::move(reason);
  }
  size_t queued_frames() const override { return queued; }

  std::mutex mutex;
  std::vector<std::string> frames;
  size_t queued = 0;
  uint16_t close_code = 0;
  std::string close_reason;
};

struct market_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<const symbol_actors> symbols;

  market_fixture() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    instrument_table table{{make_instrument("AAA", 10'000), make_instrument("BBB", 20'000)}};
    symbol_options opts;
    opts.conflation_interval = std::chrono::milliseconds{100};
    symbols = spawn_symbols(*sys, table, opts);
    sched->run();
  }
  ~market_fixture() {
    for (auto& [_, a] : *symbols)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched->run();
  }
  caf::actor symbol(const std::string& s) const { return symbols->at(s); }
  void trade(const std::string& s, money price, int64_t qty, timestamp at) {
    caf::anon_send(symbol(s), ticks_atom::value,
                   std::vector<tick>{tick{s, at, price, qty, price - 5, price + 5}});
  }
  // Fires the due timers (one conflation interval) and runs what they cause.
  void next_interval() {
    sched->run();
    sched->trigger_timeouts();
    sched->run();
  }
};

// The "data" array of a quotes frame.
std::vector<std::string> symbols_in(const std::string& frame) {
  std::vector<std::string> out;
  for (size_t at = frame.find("\"symbol\":\""); at != std::string::npos;
       at = frame.find("\"symbol\":\"", at + 1)) {
    auto start = at + 10;
    out.push_back(frame.substr(start, frame.find('"', start) - start));
  }
  return out;
}

} // namespace

TEST_CASE("a symbol actor pushes many ticks in one interval as one quote with the last values",
          "[market]") {
  market_fixture f;
  auto rec = f.sys->spawn(recorder);
  caf::anon_send(f.symbol("AAA"), watch_atom::value, rec);
  f.sched->run();
  auto& pushes = dynamic_cast<caf::stateful_actor<recorder_state>&>(
                   *caf::actor_cast<caf::abstract_actor*>(rec)).state.pushes;
  REQUIRE(pushes.size() == 1); // the current quote, at once
  CHECK(pushes[0].ltp == 10'000);
  CHECK(pushes[0].volume == 0);

  // 1000 trades in 100 batches, all within one interval.
  int64_t volume = 0;
  for (int b = 0; b < 100; ++b) {
    std::vector<tick> batch;
    for (int k = 0; k < 10; ++k) {
      money px = 10'000 + 5 * ((b * 10 + k) % 41) - 100;
      batch.push_back(tick{"AAA", 1'000 + b * 10 + k, px, 1 + k, px - 5, px + 5});
      volume += 1 + k;
    }
    caf::anon_send(f.symbol("AAA"), ticks_atom::value, std::move(batch));
  }
  f.sched->run();
  CHECK(pushes.size() == 1); // nothing before the interval ends
  f.next_interval();
  REQUIRE(pushes.size() == 2); // one push for the whole interval
  const quote& q = pushes[1];
  money last = 10'000 + 5 * (999 % 41) - 100;
  CHECK(q.ltp == last);
  CHECK(q.volume == volume);
  CHECK(q.open == 10'000 - 100);
  CHECK(q.high == 10'000 + 5 * 40 - 100);
  CHECK(q.low == 10'000 - 100);
  CHECK(q.bid == last - 5);
  CHECK(q.ask == last + 5);
  CHECK(q.time == 1'000 + 999);
  CHECK(q.prev_close == 10'000);

  f.next_interval(); // no ticks, no push
  CHECK(pushes.size() == 2);
  caf::anon_send_exit(rec, caf::exit_reason::user_shutdown);
}

TEST_CASE("quote arithmetic: change and percent in exact integers", "[market]") {
  quote q;
  q.prev_close = 245'000;
  q.ltp = 246'525; // +15.25 on 2450.00 = 0.6224 %
  CHECK(q.change() == 1'525);
  CHECK(q.change_basis_points() == 62);
  q.ltp = 245'000 - 1'525;
  CHECK(q.change_basis_points() == -62);
  q.prev_close = 200;
  q.ltp = 201; // 0.5 %: 50 basis points exactly
  CHECK(q.change_basis_points() == 50);
  q.ltp = 199; // -0.5 %
  CHECK(q.change_basis_points() == -50);
  q.prev_close = 300;
  q.ltp = 301; // 0.3333 % -> 33; 0.335 rounds away from zero below
  CHECK(q.change_basis_points() == 33);
  q.prev_close = 0;
  CHECK(q.change_basis_points() == 0);
}

TEST_CASE("a slow client gets the latest quote per symbol, batched, and no backlog", "[market][session]") {
  market_fixture f;
  auto sink = std::make_shared<fake_sink>();
  session_options so;
  so.max_queued_frames = 4;
  so.retry_every = std::chrono::milliseconds{50};
  so.slow_client_timeout = std::chrono::milliseconds{1000};
  auto in = open_session(*f.sys, caf::actor{}, f.symbols, so, sink, [](const std::string&) {
    return std::optional<user_id>{};
  });
  in->on_text(R"({"action":"subscribe","symbols":["AAA","BBB"],"mode":"ltp"})");
  f.sched->run();
  {
    std::lock_guard<std::mutex> lock(sink->mutex);
    REQUIRE_FALSE(sink->frames.empty());
    sink->frames.clear();
  }
  // The client stops reading: its queue is full. Quotes keep coming.
  sink->queued = 4;
  for (int i = 1; i <= 5; ++i) { // half a second: under the 1 s timeout
    f.trade("AAA", 10'000 + 5 * i, 1, i);
    f.trade("BBB", 20'000 - 5 * i, 1, i);
    f.next_interval();
  }
  {
    std::lock_guard<std::mutex> lock(sink->mutex);
    CHECK(sink->frames.empty()); // nothing written while it is behind...
    CHECK(sink->close_code == 0); // ...and it is not closed yet
  }
  // It catches up: one frame with both symbols at their latest prices.
  sink->queued = 0;
  f.next_interval();
  std::lock_guard<std::mutex> lock(sink->mutex);
  REQUIRE(sink->frames.size() == 1);
  auto& frame = sink->frames[0];
  CHECK(symbols_in(frame) == std::vector<std::string>{"AAA", "BBB"});
  CHECK(frame.find("\"ltp\":100.25") != std::string::npos);  // 10000 + 25 paise
  CHECK(frame.find("\"ltp\":199.75") != std::string::npos);  // 20000 - 25 paise
  CHECK(frame.find("\"open\"") == std::string::npos);        // ltp mode: no more than asked
  in->on_closed();
}

TEST_CASE("a client behind for longer than the timeout is closed with 1013", "[market][session]") {
  market_fixture f;
  auto sink = std::make_shared<fake_sink>();
  session_options so;
  so.max_queued_frames = 4;
  so.retry_every = std::chrono::milliseconds{50};
  so.slow_client_timeout = std::chrono::milliseconds{500};
  auto in = open_session(*f.sys, caf::actor{}, f.symbols, so, sink, [](const std::string&) {
    return std::optional<user_id>{};
  });
  in->on_text(R"({"action":"subscribe","symbols":["AAA"]})");
  f.sched->run();
  sink->queued = 100;
  f.trade("AAA", 10'005, 1, 1);
  for (int i = 0; i < 30 && sink->close_code == 0; ++i)
    f.next_interval();
  CHECK(sink->close_code == close_try_again_later);
  CHECK(sink->close_reason == "client too slow");
}

TEST_CASE("subscriptions: unknown symbols named, the rest kept; limit; unsubscribe; mode", "[market][session]") {
  market_fixture f;
  auto sink = std::make_shared<fake_sink>();
  session_options so;
  so.max_symbols = 1;
  auto in = open_session(*f.sys, caf::actor{}, f.symbols, so, sink, [](const std::string&) {
    return std::optional<user_id>{};
  });
  auto frames = [&] {
    f.sched->run();
    std::lock_guard<std::mutex> lock(sink->mutex);
    auto out = sink->frames;
    sink->frames.clear();
    return out;
  };
  auto has = [](const std::vector<std::string>& fs, const std::string& needle) {
    for (auto& x : fs)
      if (x.find(needle) != std::string::npos)
        return true;
    return false;
  };
  in->on_text(R"({"action":"subscribe","symbols":["NOPE","AAA","BBB"],"mode":"full"})");
  auto got = frames();
  CHECK(has(got, R"("code":"unknown_symbol")"));
  CHECK(has(got, R"("symbol":"NOPE")"));
  CHECK(has(got, R"("code":"too_many_symbols")")); // BBB is over the limit of 1
  CHECK(has(got, R"({"type":"subscribe","status":"ok","symbols":["AAA"],"mode":"full"})"));
  CHECK(has(got, R"("channel":"quotes")"));
  CHECK(has(got, R"("bid")")); // full mode

  in->on_text(R"({"action":"mode","symbols":["AAA"],"mode":"sideways"})");
  CHECK(has(frames(), R"("field":"mode")"));
  in->on_text(R"({"action":"mode","symbols":["AAA"],"mode":"ltp"})");
  CHECK(has(frames(), R"("type":"mode","status":"ok")"));
  f.trade("AAA", 10'010, 3, 5);
  f.next_interval();
  got = frames();
  REQUIRE(has(got, R"("ltp":100.10)"));
  CHECK_FALSE(has(got, R"("bid")")); // ltp mode now

  in->on_text(R"({"action":"unsubscribe","symbols":["AAA"]})");
  CHECK(has(frames(), R"("type":"unsubscribe","status":"ok")"));
  f.trade("AAA", 10'020, 3, 6);
  f.next_interval();
  CHECK_FALSE(has(frames(), R"("channel":"quotes")"));

  for (auto bad : {R"({"action":"subscribe","symbols":"AAA"})", R"({"action":"subscribe"})",
                   R"({"action":"subscribe","symbols":[1,2]})", "not json"})
    in->on_text(bad);
  got = frames();
  CHECK(got.size() == 4); // one error frame each, and the session lives on
  for (auto& x : got)
    CHECK(x.find(R"("type":"error")") != std::string::npos);
  in->on_closed();
  f.sched->run();
}
