// brokerd: one broker node with every role, the embedded SQLite store (or
// PostgreSQL with --database-url) and the in-process simulated exchange.
// Configuration: config/brokerd.ini, then command-line flags (--port P,
// --data-dir D, ...; --help lists them).
#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <pthread.h>
#include <sys/resource.h>
#include <thread>

#include <caf/all.hpp>

#include "actors/books_arena_hook.hpp"
#include "actors/node.hpp"
#include "actors/resident_memory.hpp"
#include "actors/scheduler_settings.hpp"
#include "edge/http_server.hpp"
#include "edge/rest_api.hpp"
#include "edge/tokens.hpp"
#include "protocol/decimal.hpp"
#include "sim/exchange.hpp"
#include "sim/feed.hpp"
#include "sim/outside_services.hpp"
#include "storage/postgres_store.hpp"
#include "storage/sqlite_store.hpp"

#ifndef BROKER_CONFIG_DIR
#define BROKER_CONFIG_DIR "config"
#endif

namespace {

struct brokerd_config : caf::actor_system_config {
  uint16_t port = 8080;
  std::string address = "127.0.0.1";
  std::string data_dir = "data";
  std::string instruments = BROKER_CONFIG_DIR "/instruments.csv";
  std::string indices = BROKER_CONFIG_DIR "/indices.csv";
  size_t conflation_ms = 100;
  size_t ws_max_symbols = 3000;
  size_t ws_max_connections_per_user = 10;
  size_t feed_ticks_per_second = 0;
  int io_threads = 2;
  bool always_open = true;
  std::vector<std::string> holidays;
  size_t kyc_delay_ms = 0;
  std::string payment_fail_above = "0";
  size_t token_ttl_seconds = 86400;
  std::string password_cost = "interactive";
  bool sqlite_sync_full = true;
  std::string database_url;
  size_t database_wait_seconds = 30;
  size_t store_retry_min_ms = 100;
  size_t store_retry_max_ms = 5000;
  int persistence_nice = broker::persistence_options{}.thread_nice;
  bool lock_memory = true;
  size_t prefault_memory_mib = 0;
  size_t seed = 42;
  size_t quote_interval_ms = 250;
  std::string brokerage_percent = "0";
  std::string brokerage_max = "0";
  std::string stt_percent = "0";
  std::string exchange_charges_percent = "0";
  std::string sebi_fees_percent = "0";
  std::string stamp_duty_percent = "0";
  std::string gst_percent = "0";
  size_t settlement_days = 1;
  std::string cost_basis = "FIFO";
  size_t long_term_after_days = 365;
  size_t tax_year_start_month = 4;

  brokerd_config() {
    opt_group{custom_options_, "global"}
      .add(port, "port", "TCP port to listen on (0: pick a free one)")
      .add(address, "address", "address to listen on")
      .add(data_dir, "data-dir", "directory for the database and the token key")
      .add(instruments, "instruments", "instrument master CSV")
      .add(indices, "indices", "index definitions CSV (empty: none)")
      .add(conflation_ms, "conflation-ms", "a symbol pushes to subscribers at most this often")
      .add(ws_max_symbols, "ws-max-symbols", "symbols one WebSocket connection may follow")
      .add(ws_max_connections_per_user, "ws-max-connections-per-user",
           "signed-in WebSocket connections one user may hold")
      .add(feed_ticks_per_second, "feed-ticks-per-second",
           "load testing: a synthetic feed of this many trades/s on top of the market (0: off)")
      .add(io_threads, "io-threads", "HTTP/WebSocket I/O threads")
      .add(always_open, "market-always-open", "accept orders at any hour")
      .add(holidays, "market-holidays", "exchange holidays, YYYY-MM-DD")
      .add(kyc_delay_ms, "kyc-delay-ms", "simulated KYC provider delay (0: immediate)")
      .add(payment_fail_above, "payment-fail-above", "simulated gateway declines amounts above this (0: never)")
      .add(token_ttl_seconds, "token-ttl-seconds", "login token lifetime")
      .add(password_cost, "password-cost", "argon2id cost: interactive or min")
      .add(sqlite_sync_full, "sqlite-sync-full", "fsync every commit (synchronous=FULL)")
      .add(database_url, "database-url",
           "PostgreSQL to keep the books in, postgresql://user@host:port/db (empty: SQLite in data-dir)")
      .add(database_wait_seconds, "database-wait-seconds",
           "at start, keep trying an unreachable PostgreSQL this long before giving up")
      .add(store_retry_min_ms, "store-retry-min-ms",
           "after a failed commit, refuse writes (503) this long before trying the store again")
      .add(store_retry_max_ms, "store-retry-max-ms", "the retry back-off doubles up to this")
      .add(persistence_nice, "persistence-nice",
           "nice value of the commit thread (negative: needs root or CAP_SYS_NICE; 0: leave)")
      .add(lock_memory, "lock-memory",
           "mlockall: populate pages as mapped, never swap (needs root or CAP_IPC_LOCK)")
      .add(prefault_memory_mib, "prefault-memory-mib",
           "pre-touch this much memory for the actors at start (see config/brokerd.ini)")
      .add(seed, "seed", "seed of the simulated market")
      .add(quote_interval_ms, "quote-interval-ms", "simulated market maker refresh period")
      .add(brokerage_percent, "brokerage-percent", "brokerage, percent of an order's traded value")
      .add(brokerage_max, "brokerage-max", "brokerage cap per order, rupees (0: none)")
      .add(stt_percent, "stt-percent", "securities transaction tax, percent, buy and sell")
      .add(exchange_charges_percent, "exchange-charges-percent", "exchange transaction charges, percent")
      .add(sebi_fees_percent, "sebi-fees-percent", "SEBI turnover fee, percent")
      .add(stamp_duty_percent, "stamp-duty-percent", "stamp duty, percent, buy side")
      .add(gst_percent, "gst-percent", "GST on brokerage + exchange + SEBI charges, percent")
      .add(settlement_days, "settlement-days", "sale proceeds become withdrawable T+N business days later")
      .add(cost_basis, "cost-basis", "lots a sale consumes first: FIFO or LIFO")
      .add(long_term_after_days, "long-term-after-days",
           "a gain is long-term when the lot was held more than this many days")
      .add(tax_year_start_month, "tax-year-start-month", "month the tax year starts (1-12; India: 4)");
  }
};

// libpq waits for a TCP connect as long as the OS does (minutes) unless told;
// persistence backs off on failures, but each try must fail fast.
std::string with_connect_timeout(std::string url) {
  if (url.find("connect_timeout=") != std::string::npos)
    return url;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=5";
}

// The store: PostgreSQL when a URL is configured, else SQLite in the data dir.
// PostgreSQL may still be starting (a fresh machine, a container): keep
// trying, with back-off, for database_wait_seconds.
std::shared_ptr<broker::store> open_store(const brokerd_config& cfg) {
  if (cfg.database_url.empty()) {
    broker::sqlite_options db_opts;
    db_opts.synchronous_full = cfg.sqlite_sync_full;
    return std::make_shared<broker::sqlite_store>(cfg.data_dir + "/broker.db", db_opts);
  }
  auto url = with_connect_timeout(cfg.database_url);
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{cfg.database_wait_seconds};
  auto backoff = std::chrono::milliseconds{250};
  for (;;) {
    try {
      return std::make_shared<broker::postgres_store>(url);
    } catch (const broker::store_error& e) {
      // Only "could not connect" is worth waiting out; a failed migration or
      // a database from a newer build fails the same way on every try.
      bool unreachable = std::string_view{e.what()}.rfind("postgres open:", 0) == 0;
      if (!unreachable || std::chrono::steady_clock::now() + backoff > give_up)
        throw;
      std::cerr << "brokerd: PostgreSQL not available yet (" << e.what() << "); retrying in "
                << backoff.count() << " ms" << std::endl;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds{4000});
    }
  }
}

// CAF's parser wants --name=value; people type --name value. Join them.
std::vector<std::string> normalise_flags(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool takes_value = a.rfind("--", 0) == 0 && a.find('=') == std::string::npos && a != "--help"
                       && a != "--market-always-open" && a != "--sqlite-sync-full"
                       && a.rfind("--caf#", 0) != 0 && i + 1 < argc
                       && std::string{argv[i + 1]}.rfind("--", 0) != 0;
    if (takes_value)
      out.push_back(a + "=" + argv[++i]);
    else
      out.push_back(a);
  }
  return out;
}

} // namespace

int main(int argc, char** argv) {
  // One descriptor per WebSocket: take all the process may have, not the
  // shell's default soft limit (often 1024).
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  // Block SIGINT/SIGTERM before any thread starts, so every thread inherits the
  // mask and the main thread alone takes them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  brokerd_config cfg;
  std::string ini = BROKER_CONFIG_DIR "/brokerd.ini";
  if (auto err = cfg.parse(normalise_flags(argc, argv), std::filesystem::exists(ini) ? ini.c_str() : nullptr)) {
    std::cerr << "brokerd: bad configuration: " << cfg.render(err) << "\n";
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  if (cfg.lock_memory) {
    auto locked = broker::lock_resident_memory();
    if (!locked.locked)
      std::cerr << "brokerd: " << locked.detail << "\n";
  }
  // Every actor thread allocates in one arena, pre-touched here if asked.
  auto arena = broker::prepare_books_arena(cfg.prefault_memory_mib << 20);
  if (cfg.prefault_memory_mib > 0 && arena.prefaulted < (cfg.prefault_memory_mib << 20))
    std::cerr << "brokerd: pre-touched " << (arena.prefaulted >> 20) << " of "
              << cfg.prefault_memory_mib << " MiB"
              << (arena.created ? "" : " (not on jemalloc: nothing to pre-touch)") << "\n";
  cfg.add_thread_hook<broker::books_arena_hook>();
  broker::apply_scheduler_defaults(cfg);
  auto fail_above = broker::parse_decimal(cfg.payment_fail_above, broker::money_scale);
  if (!fail_above || *fail_above < 0) {
    std::cerr << "brokerd: payment-fail-above must be a decimal amount\n";
    return 2;
  }
  broker::fee_schedule fees;
  {
    auto rate = [](const std::string& text, const char* key, int64_t& into) {
      auto r = broker::parse_percent_rate(text);
      if (!r)
        std::cerr << "brokerd: " << key << " must be a percentage between 0 and 100, e.g. \"0.03\"\n";
      else
        into = *r;
      return r.has_value();
    };
    auto cap = broker::parse_decimal(cfg.brokerage_max, broker::money_scale);
    if (!rate(cfg.brokerage_percent, "brokerage-percent", fees.brokerage_rate)
        || !rate(cfg.stt_percent, "stt-percent", fees.stt_rate)
        || !rate(cfg.exchange_charges_percent, "exchange-charges-percent", fees.exchange_rate)
        || !rate(cfg.sebi_fees_percent, "sebi-fees-percent", fees.sebi_rate)
        || !rate(cfg.stamp_duty_percent, "stamp-duty-percent", fees.stamp_rate)
        || !rate(cfg.gst_percent, "gst-percent", fees.gst_rate))
      return 2;
    if (!cap || *cap < 0) {
      std::cerr << "brokerd: brokerage-max must be a decimal amount in rupees\n";
      return 2;
    }
    fees.brokerage_max = *cap;
    if (fees.effective_rate() >= broker::rate_denominator) {
      std::cerr << "brokerd: the charges add up to 100% of a trade or more; a sale would pay "
                   "more than it brings\n";
      return 2;
    }
  }
  auto cost_basis = broker::parse_cost_basis_method(cfg.cost_basis);
  if (!cost_basis) {
    std::cerr << "brokerd: cost-basis must be FIFO or LIFO\n";
    return 2;
  }
  if (cfg.tax_year_start_month < 1 || cfg.tax_year_start_month > 12) {
    std::cerr << "brokerd: tax-year-start-month must be 1 to 12\n";
    return 2;
  }
  try {
    std::filesystem::create_directories(cfg.data_dir);
    static broker::system_utc_clock clock;
    auto instruments = broker::load_instruments(cfg.instruments);
    broker::calendar_rules rules;
    rules.always_open = cfg.always_open;
    rules.holidays.insert(cfg.holidays.begin(), cfg.holidays.end());
    auto calendar = std::make_shared<const broker::market_calendar>(rules);
    auto db = open_store(cfg);
    broker::edge::token_authority tokens{
      broker::edge::load_or_create_secret(cfg.data_dir + "/token.key"),
      static_cast<int64_t>(cfg.token_ttl_seconds), clock};

    caf::actor_system sys{cfg};
    broker::sim::exchange_options ex;
    ex.seed = cfg.seed;
    ex.quote_interval = std::chrono::milliseconds{cfg.quote_interval_ms};
    // The simulated exchange restarts empty if it dies; the connector
    // reconciles (cancels) what the broker had working on it.
    auto open_exchange = [&sys, instruments, calendar, ex] {
      return broker::sim::spawn_exchange(sys, instruments, calendar, &clock, ex);
    };
    broker::outside_services outside{
      open_exchange(),
      broker::sim::spawn_kyc_provider(sys, {std::chrono::milliseconds{cfg.kyc_delay_ms}}),
      broker::sim::spawn_payment_gateway(sys, {*fail_above}), open_exchange};
    broker::node_options opts;
    if (!cfg.indices.empty())
      opts.indices = broker::load_indices(cfg.indices, *instruments);
    opts.symbols.conflation_interval = std::chrono::milliseconds{std::max<size_t>(1, cfg.conflation_ms)};
    opts.persistence.thread_nice = cfg.persistence_nice;
    opts.persistence.retry_backoff_min = std::chrono::milliseconds{std::max<size_t>(1, cfg.store_retry_min_ms)};
    opts.persistence.retry_backoff_max =
      std::chrono::milliseconds{std::max(cfg.store_retry_min_ms, cfg.store_retry_max_ms)};
    opts.fees = fees;
    opts.settlement_days = static_cast<int>(cfg.settlement_days);
    opts.cost_basis = *cost_basis;
    opts.tax.long_term_after_days = static_cast<int>(cfg.long_term_after_days);
    opts.tax.year_start_month = static_cast<int>(cfg.tax_year_start_month);
    opts.tax.utc_offset_minutes = rules.utc_offset_minutes;
    opts.sessions.max_symbols = cfg.ws_max_symbols;
    opts.sessions.max_connections_per_user = cfg.ws_max_connections_per_user;
    if (cfg.password_cost == "min")
      opts.users.cost = broker::password_cost::minimum();
    {
      broker::node node{sys, db, instruments, calendar, clock, outside, opts};
      caf::actor feed;
      if (cfg.feed_ticks_per_second > 0)
        feed = broker::sim::spawn_feed(sys, instruments, &clock, node.connector(),
                                       {cfg.feed_ticks_per_second, cfg.seed});
      broker::edge::rest_api api{node, tokens};
      broker::edge::server_options http;
      http.address = cfg.address;
      http.port = cfg.port;
      http.io_threads = cfg.io_threads;
      broker::edge::http_server server{api, http};
      server.start();
      std::cout << "brokerd listening on http://" << cfg.address << ":" << server.port()
                << " (data in " << cfg.data_dir << ")" << std::endl;

      int signal_number = 0;
      sigwait(&stop_signals, &signal_number);
      std::cout << "brokerd stopping" << std::endl;
      server.stop();                   // no more requests into the actors,
      if (feed)
        caf::anon_send_exit(feed, caf::exit_reason::user_shutdown);
      node.stop(std::chrono::seconds{10}); // then the actors go, persistence last
    }
  } catch (const std::exception& e) {
    std::cerr << "brokerd: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
