// Market data on CAF's deterministic scheduler: a symbol actor publishes its
// latest quote after every batch; a session, woken once per interval by the
// fanout, sends many ticks of one interval as one update with the latest
// values, batches symbols into frames, sends nothing while the client is
// behind (and holds no backlog), and closes a client that stays behind too long.
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <unistd.h>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <catch2/catch.hpp>

#include "actors/market_board.hpp"
#include "actors/messages.hpp"
#include "actors/quote_fanout.hpp"
#include "actors/session.hpp"
#include "actors/symbol.hpp"
#include "sim/feed.hpp"
#include "protocol/clock.hpp"
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

// Collects what a symbol actor writes behind, fires and forwards.
struct recorder_state {
  std::vector<candle> stored;
  std::vector<std::pair<int64_t, money>> fired; // alert id, price
  std::vector<tick> ticks;
};
// (It takes an argument because CAF 0.17 misbehaves spawning a function actor with none.)
caf::behavior recorder(caf::stateful_actor<recorder_state>* self, std::string /* role */) {
  return {
    [=](commit_atom, const write_batch& b) {
      self->state.stored.insert(self->state.stored.end(), b.candles.begin(), b.candles.end());
    },
    [=](fired_atom, user_id, int64_t id, money price, timestamp) {
      self->state.fired.emplace_back(id, price);
    },
    [=](ticks_atom, const std::vector<tick>& t) {
      self->state.ticks.insert(self->state.ticks.end(), t.begin(), t.end());
    },
  };
}

recorder_state& state_of(const caf::actor& a) {
  return dynamic_cast<caf::stateful_actor<recorder_state>&>(*caf::actor_cast<caf::abstract_actor*>(a))
    .state;
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
  std::shared_ptr<latest_quotes> quotes;
  caf::actor fanout;
  caf::actor store; // stands in for persistence

  explicit market_fixture(std::vector<candle> today = {}) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    instrument_table table{{make_instrument("AAA", 10'000), make_instrument("BBB", 20'000)}};
    symbol_options opts;
    opts.conflation_interval = std::chrono::milliseconds{100};
    store = sys->spawn(recorder, std::string{"persistence"});
    quotes = std::make_shared<latest_quotes>(table);
    symbols = spawn_symbols(*sys, table, std::make_shared<market_calendar>(calendar_rules{}),
                            store, caf::actor{}, std::move(today), quotes, opts);
    fanout = spawn_quote_fanout(*sys, opts.conflation_interval);
    sched->run();
  }
  ~market_fixture() {
    caf::anon_send_exit(fanout, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(symbols->supervisor, caf::exit_reason::user_shutdown);
    for (auto& a : symbols->all())
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched->run();
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    sched->run();
  }
  caf::actor symbol(const std::string& s) const { return symbols->of(s); }
  std::shared_ptr<frame_handler> open(
    std::shared_ptr<fake_sink> sink, session_options so,
    std::shared_ptr<connection_count> count = std::make_shared<connection_count>(10),
    token_verifier verify = [](const std::string&) { return std::optional<user_id>{}; }) {
    session_services services{caf::actor{}, quotes, fanout, std::move(count), nullptr, nullptr};
    return open_session(*sys, services, so, std::move(sink), std::move(verify));
  }
  void trade(const std::string& s, money price, int64_t qty, timestamp at) {
    caf::anon_send(symbol(s), ticks_atom::value,
                   std::vector<tick>{tick{s, at, price, qty, price - 5, price + 5}});
  }
  // Runs one conflation interval: the beat's timers as they fall due (a
  // session is drained in its own slot of the interval), and what they cause.
  void next_interval() {
    sched->run();
    auto end = sched->clock().current_time + std::chrono::milliseconds{100};
    while (sched->clock().current_time < end && sched->trigger_timeout())
      sched->run();
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

TEST_CASE("many ticks in one interval reach a client as one update with the last values",
          "[market]") {
  market_fixture f;
  auto sink = std::make_shared<fake_sink>();
  auto in = f.open(sink, session_options{});
  in->on_text(R"({"action":"subscribe","symbols":["AAA"],"mode":"full"})");
  f.sched->run();
  auto take_frames = [&] {
    std::lock_guard<std::mutex> lock(sink->mutex);
    auto out = sink->frames;
    sink->frames.clear();
    return out;
  };
  auto got = take_frames();
  REQUIRE(got.size() == 2); // the ack, then the current quote at once
  CHECK(got[1].find(R"("ltp":100.00)") != std::string::npos);
  auto slot = *f.quotes->slot_of("AAA");
  uint64_t before = f.quotes->version(slot);

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
  CHECK(f.quotes->version(slot) == before + 100); // published once per batch, not per tick
  CHECK(take_frames().empty());                   // but nothing sent before the beat
  f.next_interval();
  got = take_frames();
  REQUIRE(got.size() == 1); // one update for the whole interval
  money last = 10'000 + 5 * (999 % 41) - 100;
  const quote& q = f.quotes->latest(slot)->value();
  CHECK(q.ltp == last);
  CHECK(q.volume == volume);
  CHECK(q.open == 10'000 - 100);
  CHECK(q.high == 10'000 + 5 * 40 - 100);
  CHECK(q.low == 10'000 - 100);
  CHECK(q.bid == last - 5);
  CHECK(q.ask == last + 5);
  CHECK(q.time == 1'000 + 999);
  CHECK(q.prev_close == 10'000);
  // What the client got is that quote, encoded once for every reader.
  CHECK(got[0] == R"({"channel":"quotes","data":[)" + f.quotes->latest(slot)->json(quote_mode::full) + "]}");
  CHECK(got[0].find(R"("volume":)" + std::to_string(volume)) != std::string::npos);

  f.next_interval(); // no ticks, nothing sent
  CHECK(take_frames().empty());
  in->on_closed();
  f.sched->run();
}

TEST_CASE("the beat drains each session once per interval, spread over the interval", "[market]") {
  market_fixture f;
  std::vector<std::shared_ptr<fake_sink>> sinks;
  std::vector<std::shared_ptr<frame_handler>> ins;
  for (int i = 0; i < 20; ++i) {
    sinks.push_back(std::make_shared<fake_sink>());
    ins.push_back(f.open(sinks.back(), session_options{}));
    ins.back()->on_text(R"({"action":"subscribe","symbols":["AAA"],"mode":"ltp"})");
  }
  f.sched->run();
  auto frames_of = [](fake_sink& s) {
    std::lock_guard<std::mutex> lock(s.mutex);
    auto n = s.frames.size();
    s.frames.clear();
    return n;
  };
  for (auto& s : sinks)
    frames_of(*s); // the acks and first quotes
  // A trade every slot, so every drain has something new to send.
  auto trade_now = [&](money px) {
    f.trade("AAA", px, 1, 0);
    f.sched->run();
  };
  trade_now(10'005);
  // One slot: only the sessions in it (2 of 20) are written to.
  REQUIRE(f.sched->trigger_timeout());
  f.sched->run();
  size_t first_slot = 0;
  for (auto& s : sinks)
    first_slot += frames_of(*s);
  CHECK(first_slot == 2);
  // The rest of the interval: every other session once, none twice.
  auto start = f.sched->clock().current_time;
  std::vector<size_t> got(sinks.size(), 0);
  while (f.sched->clock().current_time < start + std::chrono::milliseconds{90}) {
    trade_now(10'010);
    REQUIRE(f.sched->trigger_timeout());
    f.sched->run();
    for (size_t i = 0; i < sinks.size(); ++i)
      got[i] += frames_of(*sinks[i]);
  }
  size_t total = 0;
  for (auto n : got) {
    CHECK(n <= 1);
    total += n;
  }
  CHECK(total == 18);
  for (auto& in : ins)
    in->on_closed();
  f.sched->run();
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
  so.slow_client_timeout = std::chrono::milliseconds{1000};
  auto in = f.open(sink, so);
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

TEST_CASE("while market data has stopped a client is told once, and quotes say stale", "[market][session]") {
  market_fixture f;
  auto sink = std::make_shared<fake_sink>();
  auto in = f.open(sink, session_options{});
  in->on_text(R"({"action":"subscribe","symbols":["AAA"],"mode":"ltp"})");
  f.sched->run();
  auto take = [&] {
    std::lock_guard<std::mutex> lock(sink->mutex);
    auto out = std::move(sink->frames);
    sink->frames.clear();
    return out;
  };
  for (auto& frame : take())
    CHECK(frame.find("stale") == std::string::npos); // live: nothing said
  f.quotes->set_stale(true); // as the connector does when the exchange's link dies
  f.next_interval();
  f.next_interval();
  auto frames = take();
  REQUIRE(frames.size() == 1); // one status frame, not one per beat
  CHECK(frames[0].find(R"("type":"status","stale":true)") != std::string::npos);
  // A tick that arrives anyway (the last of a batch) goes out marked stale.
  f.trade("AAA", 10'100, 1, 1);
  f.next_interval();
  frames = take();
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].rfind(R"({"channel":"quotes","stale":true,"data":[)", 0) == 0);
  // Flowing again: said once, and quotes are plain again.
  f.quotes->set_stale(false);
  f.trade("AAA", 10'200, 1, 2);
  f.next_interval();
  frames = take();
  REQUIRE(frames.size() == 2);
  CHECK(frames[0] == R"({"channel":"quotes","type":"status","stale":false})");
  CHECK(frames[1].rfind(R"({"channel":"quotes","data":[)", 0) == 0);
  in->on_closed();
}

TEST_CASE("a client behind for longer than the timeout is closed with 1013", "[market][session]") {
  market_fixture f;
  auto sink = std::make_shared<fake_sink>();
  session_options so;
  so.max_queued_frames = 4;
  so.slow_client_timeout = std::chrono::milliseconds{500};
  auto in = f.open(sink, so);
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
  auto in = f.open(sink, so);
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
  f.next_interval(); // no trade, yet the quote comes again in the new mode
  got = frames();
  REQUIRE(has(got, R"("channel":"quotes")"));
  CHECK_FALSE(has(got, R"("bid")"));
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

namespace {
// 2026-11-23 (a Monday) in IST, as UTC ns: 09:15:00 IST is 03:45:00 UTC.
const timestamp ist_0915 = *parse_iso_time("2026-11-23T03:45:00Z");
constexpr int64_t sec = 1'000'000'000;

// Asks `dest` on the deterministic scheduler and runs it until the answer is in.
template <class T, class... Ts>
T ask(market_fixture& f, const caf::actor& dest, Ts... args) {
  auto out = std::make_shared<std::optional<T>>();
  f.sys->spawn([=](caf::event_based_actor* self, const caf::actor& to) {
    self->request(to, caf::infinite, args...).then([=](T& v) { *out = std::move(v); });
  }, dest);
  f.sched->run();
  REQUIRE(out->has_value());
  return std::move(**out);
}

std::vector<candle> ask_candles(market_fixture& f, const std::string& s, timestamp from, timestamp to) {
  return ask<std::vector<candle>>(f, f.symbol(s), candles_atom::value, from, to);
}
} // namespace

// What the store holds after the writes so far: candles are upserts by
// (symbol, start), so the last write of each minute is what stays.
std::map<timestamp, candle> stored_minutes(market_fixture& f) {
  std::map<timestamp, candle> out;
  for (auto& c : state_of(f.store).stored)
    out[c.start] = c;
  return out;
}

TEST_CASE("one-minute candles are cut at minute boundaries and written as each minute ends", "[market][candles]") {
  market_fixture f;
  f.trade("AAA", 10'000, 5, ist_0915 + 10 * sec);
  f.trade("AAA", 10'050, 2, ist_0915 + 12 * sec);
  f.trade("AAA", 9'950, 1, ist_0915 + 13 * sec + sec / 2);
  f.sched->run();
  // The open minute is written behind at most every 5 s of exchange time: at
  // its first trade, then not again within 5 s.
  auto& writes = state_of(f.store).stored;
  REQUIRE(writes.size() == 1);
  CHECK(writes[0].volume == 5);
  f.trade("AAA", 10'000, 1, ist_0915 + 15 * sec);
  f.sched->run();
  REQUIRE(writes.size() == 2);
  CHECK(writes[1].volume == 9); // 5 s after the last write: all of the minute so far
  f.trade("AAA", 9'950, 1, ist_0915 + 59 * sec);
  f.trade("AAA", 10'020, 4, ist_0915 + 60 * sec); // 09:16:00 exactly: the next minute
  f.trade("AAA", 10'010, 3, ist_0915 + 6 * 60 * sec + sec); // 09:21:01, a gap of silent minutes
  f.sched->run();
  auto stored = stored_minutes(f);
  REQUIRE(stored.size() == 3); // 09:15 and 09:16 ended; 09:21 written as it opened
  CHECK(stored.rbegin()->second.start == ist_0915 + 6 * 60 * sec);
  // The last write of a finished minute is the whole minute.
  std::vector<candle> ended{stored[ist_0915], stored[ist_0915 + 60 * sec]};
  {
    auto& stored = ended;
  CHECK(stored[0].start == ist_0915);
  CHECK(stored[0].open == 10'000);
  CHECK(stored[0].high == 10'050);
  CHECK(stored[0].low == 9'950);
  CHECK(stored[0].close == 9'950);
  CHECK(stored[0].volume == 10);
  CHECK(stored[1].start == ist_0915 + 60 * sec);
  CHECK(stored[1].volume == 4);
  }

  auto all = ask_candles(f, "AAA", ist_0915, ist_0915 + 3600 * sec);
  REQUIRE(all.size() == 3); // the building minute too
  CHECK(all[2].start == ist_0915 + 6 * 60 * sec);
  CHECK(ask_candles(f, "AAA", ist_0915 + 60 * sec, ist_0915 + 2 * 60 * sec).size() == 1);

  // 5-minute bars from the 09:15 session grid: [09:15, 09:20) and [09:20, 09:25).
  auto five = aggregate(all, 5 * ns_per_minute, ist_0915);
  REQUIRE(five.size() == 2);
  CHECK(five[0].start == ist_0915);
  CHECK(five[0].open == 10'000);
  CHECK(five[0].close == 10'020);
  CHECK(five[0].high == 10'050);
  CHECK(five[0].low == 9'950);
  CHECK(five[0].volume == 14);
  CHECK(five[1].start == ist_0915 + 5 * 60 * sec);
  CHECK(five[1].volume == 3);

  // Stopping the actor writes the minute it was building.
  size_t before = writes.size();
  caf::anon_send_exit(f.symbol("AAA"), caf::exit_reason::user_shutdown);
  f.sched->run();
  REQUIRE(writes.size() == before + 1);
  CHECK(writes.back().start == ist_0915 + 6 * 60 * sec);
}

TEST_CASE("a new trading day starts a new session; a restart picks the day up from its candles", "[market][candles]") {
  SECTION("the next day's first trade") {
    market_fixture f;
    f.trade("AAA", 10'100, 5, ist_0915 + 10 * sec);
    f.sched->run();
    f.trade("AAA", 10'200, 1, ist_0915 + 86'400 * sec); // 24 h later, IST
    f.sched->run();
    auto q = ask<quote>(f, f.symbol("AAA"), quote_atom::value);
    CHECK(q.prev_close == 10'100); // yesterday's last price
    CHECK(q.open == 10'200);
    CHECK(q.volume == 1);
    // Yesterday's candles are not today's chart.
    CHECK(ask_candles(f, "AAA", 0, ist_0915 + 3 * 86'400 * sec).size() == 1);
  }
  SECTION("stored candles of the day") {
    std::vector<candle> today{{"AAA", ist_0915, 10'000, 10'300, 9'900, 10'100, 7},
                              {"AAA", ist_0915 + 60 * sec, 10'100, 10'150, 10'050, 10'120, 3}};
    market_fixture f{today};
    auto q = ask<quote>(f, f.symbol("AAA"), quote_atom::value);
    CHECK(q.open == 10'000);
    CHECK(q.high == 10'300);
    CHECK(q.low == 9'900);
    CHECK(q.ltp == 10'120);
    CHECK(q.volume == 10);
    CHECK(ask_candles(f, "AAA", ist_0915, ist_0915 + 3600 * sec).size() == 2);
    // The last stored minute may have been cut short by a crash: a trade in
    // that same minute adds to it rather than starting it over.
    f.trade("AAA", 10'130, 2, ist_0915 + 90 * sec);
    f.trade("AAA", 10'140, 1, ist_0915 + 120 * sec); // ends 09:16
    f.sched->run();
    auto bars = ask_candles(f, "AAA", ist_0915, ist_0915 + 3600 * sec);
    REQUIRE(bars.size() == 3);
    CHECK(bars[1].start == ist_0915 + 60 * sec);
    CHECK(bars[1].volume == 5);
    CHECK(bars[1].open == 10'100);
    CHECK(bars[1].close == 10'130);
    CHECK(stored_minutes(f)[ist_0915 + 60 * sec].volume == 5); // and so is what is stored
  }
}

TEST_CASE("ISO-8601 times and session starts", "[market][time]") {
  CHECK(parse_iso_time("1970-01-01") == 0);
  CHECK(parse_iso_time("2026-01-21T10:30:00Z") == int64_t{1'768'991'400} * sec);
  CHECK(parse_iso_time("2026-01-21T10:30:00.123Z") == int64_t{1'768'991'400} * sec + 123'000'000);
  CHECK(parse_iso_time("2026-01-21T10:30Z") == int64_t{1'768'991'400} * sec);
  CHECK(parse_iso_time("2024-02-29") == int64_t{1'709'164'800} * sec);
  for (auto bad : {"", "2026-1-21", "2026-02-30", "2025-02-29", "2026-01-21T25:00:00Z",
                   "2026-01-21T10:30:00", "2026-01-21T10:30:00+05:30", "2026-01-21x", "12345678901",
                   "2026-01-21T10:30:00.Z", "9999-01-01"})
    CHECK_FALSE(parse_iso_time(bad).has_value());
  calendar_rules ist;
  ist.always_open = false;
  market_calendar cal{ist};
  // 10:00 IST on the 23rd: the session opened at 09:15 IST that day.
  CHECK(cal.session_start(ist_0915 + 45 * 60 * sec) == ist_0915);
  // 02:00 IST on the 24th (20:30 UTC on the 23rd): that day's 09:15 IST lies ahead.
  CHECK(cal.session_start(*parse_iso_time("2026-11-23T20:30:00Z")) == ist_0915 + 86'400 * sec);
  market_calendar always{calendar_rules{}};
  // Always open: the session is the IST calendar day, from local midnight.
  CHECK(always.session_start(ist_0915) == ist_0915 - (9 * 60 + 15) * 60 * sec);
}

TEST_CASE("index level: base times weighted last prices over weighted previous closes", "[market][indices]") {
  index_definition def{"TWO", 1'000'000, {{"AAA", 3}, {"BBB", 1}}}; // base 10000.00 points
  std::map<std::string, quote> quotes;
  CHECK(compute_index(def, quotes).level == 1'000'000); // no quotes yet: the base
  quote a;
  a.symbol = "AAA";
  a.prev_close = 10'000;
  a.ltp = 10'500; // +5 %
  quote b;
  b.symbol = "BBB";
  b.prev_close = 20'000;
  b.ltp = 19'000; // -5 %
  quotes["AAA"] = a;
  quotes["BBB"] = b;
  // (3*10500 + 19000) / (3*10000 + 20000) = 50500 / 50000 = 1.01
  CHECK(compute_index(def, quotes).level == 1'010'000);
  quotes["BBB"].ltp = 20'001; // 51501 / 50000 * 1e6 = 1030020
  CHECK(compute_index(def, quotes).level == 1'030'020);
}

TEST_CASE("the shipped index list loads; a bad one names its line", "[market][indices]") {
  auto instruments = load_instruments(BROKER_CONFIG_DIR "/instruments.csv");
  auto shipped = load_indices(BROKER_CONFIG_DIR "/indices.csv", *instruments);
  REQUIRE(shipped.size() >= 3);
  CHECK(shipped[0].name == "NIFTY-SIM");
  auto dir = std::filesystem::temp_directory_path() / ("broker-indices-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& body) {
    std::ofstream{dir / "i.csv"} << "index,base_value,constituents\n" << body;
    return (dir / "i.csv").string();
  };
  CHECK_THROWS_WITH(load_indices(write("X,100.00,NOPE:1\n"), *instruments), Catch::Contains(":2: unknown symbol NOPE"));
  CHECK_THROWS_WITH(load_indices(write("X,abc,TCS:1\n"), *instruments), Catch::Contains("base_value"));
  CHECK_THROWS_WITH(load_indices(write("X,100.00,TCS:-1\n"), *instruments), Catch::Contains("positive"));
  CHECK_THROWS_WITH(load_indices(write("X,100.00,TCS\n"), *instruments), Catch::Contains("symbol:weight"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("the market board ranks gainers and losers and computes indices live", "[market][indices]") {
  market_fixture f;
  auto board = spawn_market_board(*f.sys, f.quotes, {index_definition{"TWO", 1'000'000, {{"AAA", 3}, {"BBB", 1}}}});
  f.sched->run();
  f.trade("AAA", 10'500, 1, 1); // +5 %
  f.trade("BBB", 19'000, 1, 1); // -5 %
  f.next_interval();
  auto gainers = ask<std::vector<quote>>(f, board, movers_atom::value, true, int64_t{10});
  REQUIRE(gainers.size() == 1);
  CHECK(gainers[0].symbol == "AAA");
  auto losers = ask<std::vector<quote>>(f, board, movers_atom::value, false, int64_t{10});
  REQUIRE(losers.size() == 1);
  CHECK(losers[0].symbol == "BBB");
  auto levels = ask<std::vector<index_value>>(f, board, indices_atom::value);
  REQUIRE(levels.size() == 1);
  CHECK(levels[0].level == 1'010'000);
  f.trade("BBB", 20'400, 1, 2); // +2 %: now both gain, AAA more
  f.next_interval();
  gainers = ask<std::vector<quote>>(f, board, movers_atom::value, true, int64_t{10});
  REQUIRE(gainers.size() == 2);
  CHECK(gainers[0].symbol == "AAA");
  CHECK(gainers[1].symbol == "BBB");
  CHECK(ask<std::vector<quote>>(f, board, movers_atom::value, true, int64_t{1}).size() == 1);
  CHECK(ask<std::vector<quote>>(f, board, movers_atom::value, false, int64_t{10}).empty());
  caf::anon_send_exit(board, caf::exit_reason::user_shutdown);
}

TEST_CASE("a symbol actor fires each alert once, when a trade crosses it", "[market][alerts]") {
  market_fixture f;
  caf::anon_send(f.symbol("AAA"), account_atom::value, f.store); // fired alerts go here
  auto alert = [&](int64_t id, alert_condition c, money price) {
    price_alert a;
    a.id = id;
    a.user = 7;
    a.symbol = "AAA";
    a.condition = c;
    a.price = price;
    caf::anon_send(f.symbol("AAA"), alert_atom::value, a);
  };
  alert(1, alert_condition::above, 10'100);
  alert(2, alert_condition::above, 10'200);
  alert(3, alert_condition::below, 9'900);
  alert(4, alert_condition::above, 10'050);
  f.sched->run();
  caf::anon_send(f.symbol("AAA"), unalert_atom::value, user_id{7}, int64_t{4}); // cancelled
  f.sched->run();
  auto& fired = state_of(f.store).fired;
  f.trade("AAA", 10'095, 1, 1); // below every ABOVE, above the BELOW
  f.sched->run();
  CHECK(fired.empty());
  f.trade("AAA", 10'100, 1, 2); // exactly at 1's price
  f.sched->run();
  REQUIRE(fired.size() == 1);
  CHECK(fired[0] == std::make_pair(int64_t{1}, money{10'100}));
  f.trade("AAA", 10'300, 1, 3); // crosses 2; 1 already fired
  f.trade("AAA", 10'100, 1, 4);
  f.trade("AAA", 10'300, 1, 5); // back up: nothing fires twice
  f.sched->run();
  REQUIRE(fired.size() == 2);
  CHECK(fired[1].first == 2);
  f.trade("AAA", 9'800, 1, 6); // crosses the BELOW
  f.sched->run();
  REQUIRE(fired.size() == 3);
  CHECK(fired[2] == std::make_pair(int64_t{3}, money{9'800}));
}

TEST_CASE("a user over the connection limit is refused at auth and closed with 1008", "[market][session]") {
  market_fixture f;
  auto count = std::make_shared<connection_count>(2);
  auto verify = [](const std::string& token) {
    return token == "good" ? std::optional<user_id>{42} : std::optional<user_id>{};
  };
  std::vector<std::shared_ptr<fake_sink>> sinks;
  std::vector<std::shared_ptr<frame_handler>> conns;
  for (int i = 0; i < 3; ++i) {
    sinks.push_back(std::make_shared<fake_sink>());
    conns.push_back(f.open(sinks.back(), {}, count, verify));
    conns.back()->on_text(R"({"action":"auth","token":"good"})");
    f.sched->run();
  }
  auto last_frame = [](fake_sink& s) {
    std::lock_guard<std::mutex> lock(s.mutex);
    return s.frames.empty() ? std::string{} : s.frames.back();
  };
  CHECK(last_frame(*sinks[0]).find(R"("type":"auth")") != std::string::npos);
  CHECK(last_frame(*sinks[1]).find(R"("type":"auth")") != std::string::npos);
  CHECK(last_frame(*sinks[2]).find(R"("code":"too_many_connections")") != std::string::npos);
  CHECK(sinks[2]->close_code == close_policy_violation);
  // Signing in again on a connection that already holds a place takes no second one.
  conns[0]->on_text(R"({"action":"auth","token":"good"})");
  f.sched->run();
  CHECK(last_frame(*sinks[0]).find(R"("type":"auth")") != std::string::npos);
  // One closes: its place is free again.
  conns[1]->on_closed();
  f.sched->run();
  auto sink = std::make_shared<fake_sink>();
  auto again = f.open(sink, {}, count, verify);
  again->on_text(R"({"action":"auth","token":"good"})");
  f.sched->run();
  CHECK(last_frame(*sink).find(R"("type":"auth")") != std::string::npos);
  CHECK(sink->close_code == 0);
  conns[0]->on_closed();
  again->on_closed();
  f.sched->run();
}

TEST_CASE("the synthetic feed sends its rate in batches, inside the bands", "[market][feed]") {
  market_fixture f;
  manual_clock clock{1'767'225'600'000'000'000};
  auto sink = f.sys->spawn(recorder, std::string{"connector"});
  auto instruments = std::make_shared<const instrument_table>(
    std::vector<instrument>{make_instrument("AAA", 10'000), make_instrument("BBB", 20'000)});
  auto feed = sim::spawn_feed(*f.sys, instruments, &clock, sink, {50'000, 3});
  f.sched->run();
  for (int ms = 0; ms < 20; ++ms) { // 20 ms at 50,000/s: 1000 ticks
    clock.advance(1'000'000);
    f.sched->trigger_timeouts();
    f.sched->run();
  }
  auto& ticks = state_of(sink).ticks;
  CHECK(ticks.size() == 1000);
  size_t aaa = 0;
  for (auto& t : ticks) {
    aaa += t.symbol == "AAA";
    auto& inst = *instruments->find(t.symbol);
    CHECK(t.last_price >= inst.lower_band());
    CHECK(t.last_price <= inst.upper_band());
    CHECK(t.last_price % inst.tick_size == 0);
    CHECK(t.last_quantity > 0);
  }
  CHECK(aaa == 500); // spread evenly
  caf::anon_send_exit(feed, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
}
