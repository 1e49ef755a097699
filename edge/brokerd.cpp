// brokerd: one broker node with every role, the embedded SQLite store (or
// PostgreSQL with --database-url) and the in-process simulated exchange.
// Configuration: config/brokerd.ini, then command-line flags (--port P,
// --data-dir D, ...; edge/brokerd_options.cpp has the table, --help lists it).
#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <pthread.h>
#include <sys/resource.h>
#include <thread>

#include <caf/all.hpp>

#include "actors/fix_link.hpp"
#include "actors/node.hpp"
#include "actors/scheduler_settings.hpp"
#include "actors/passwords.hpp"
#include "edge/admin_api.hpp"
#include "edge/brokerd_options.hpp"
#include "edge/http_server.hpp"
#include "edge/request_metrics.hpp"
#include "edge/rest_api.hpp"
#include "edge/tokens.hpp"
#include "sim/books_arena_hook.hpp"
#include "sim/exchange.hpp"
#include "sim/feed.hpp"
#include "sim/outside_services.hpp"
#include "sim/resident_memory.hpp"
#include "sim/thread_priority.hpp"
#include "storage/postgres_store.hpp"
#include "storage/sqlite_store.hpp"

#ifndef BROKER_CONFIG_DIR
#define BROKER_CONFIG_DIR "config"
#endif
#ifndef BROKER_CONSOLE_DIR
#define BROKER_CONSOLE_DIR "edge/console"
#endif

namespace {

using broker::edge::brokerd_settings;

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
std::shared_ptr<broker::store> open_store(const brokerd_settings& cfg) {
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

// brokerd --add-operator NAME: the password is one line on stdin (not an
// argument, which other users of the machine could read in the process list).
int add_operator(const brokerd_settings& cfg, const std::string& name) {
  std::string password;
  std::getline(std::cin, password);
  if (password.size() < 12 || password.size() > 1024) {
    std::cerr << "brokerd: an operator's password is 12 to 1024 characters, read from stdin\n";
    return 2;
  }
  std::filesystem::create_directories(cfg.data_dir);
  auto db = open_store(cfg);
  broker::system_utc_clock clock;
  auto cost = cfg.password_cost_minimum ? broker::password_cost::minimum() : broker::password_cost{};
  broker::operator_account account{name, broker::hash_password(password, cost), clock.now(), false};
  if (!db->add_operator(account)) {
    std::cerr << "brokerd: there is already an operator named " << name << "\n";
    return 1;
  }
  broker::audit_entry e;
  e.at = clock.now();
  e.remote_address = "local";
  e.action = "add-operator";
  e.target = "operator:" + name;
  e.detail = "created from the command line";
  e.status = 200;
  db->append_audit(e);
  std::cout << "brokerd: operator " << name << " created" << std::endl;
  return 0;
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
  std::vector<std::string> args(argv + 1, argv + argc);
  auto invocation = broker::edge::read_brokerd_options(args, BROKER_CONFIG_DIR);
  if (!invocation.error.empty()) {
    std::cerr << "brokerd: " << invocation.error << "\n";
    return 2;
  }
  if (invocation.what == broker::edge::brokerd_invocation::action::help) {
    std::cout << broker::edge::brokerd_help(invocation.defaults);
    return 0;
  }
  const brokerd_settings& cfg = invocation.settings;
  // CAF reads its own settings: the file's sections and the dotted flags.
  caf::actor_system_config caf_cfg;
  {
    std::ifstream file;
    std::istringstream no_file;
    if (!cfg.config_file.empty())
      file.open(cfg.config_file);
    std::istream& ini = cfg.config_file.empty() ? static_cast<std::istream&>(no_file) : file;
    if (auto err = caf_cfg.parse(invocation.caf_arguments, ini)) {
      std::cerr << "brokerd: CAF refused one of its settings: " << caf_cfg.render(err)
                << " (see brokerd --help)\n";
      return 2;
    }
  }
  if (invocation.what == broker::edge::brokerd_invocation::action::print_config) {
    std::cout << broker::edge::brokerd_config_text(cfg);
    return 0;
  }
  if (invocation.what == broker::edge::brokerd_invocation::action::add_operator) {
    try {
      return add_operator(cfg, invocation.operator_name);
    } catch (const std::exception& e) {
      std::cerr << "brokerd: " << e.what() << "\n";
      return 1;
    }
  }
  // Memory and priority tuning for benchmarks on a small VM, off by default
  // (sim/resident_memory.hpp, sim/thread_priority.hpp say what each buys).
  if (cfg.lock_memory) {
    auto locked = broker::lock_resident_memory();
    if (!locked.locked)
      std::cerr << "brokerd: " << locked.detail << "\n";
  }
  if (cfg.prefault_memory_mib > 0) {
    // Every actor thread (and the I/O threads below) allocates in one arena,
    // pre-touched here.
    auto arena = broker::prepare_books_arena(cfg.prefault_memory_mib << 20);
    if (arena.prefaulted < (cfg.prefault_memory_mib << 20))
      std::cerr << "brokerd: pre-touched " << (arena.prefaulted >> 20) << " of " << cfg.prefault_memory_mib
                << " MiB" << (arena.created ? "" : " (not on jemalloc: nothing to pre-touch)") << "\n";
    caf_cfg.add_thread_hook<broker::books_arena_hook>();
  }
  broker::apply_scheduler_defaults(caf_cfg);
  try {
    std::filesystem::create_directories(cfg.data_dir);
    static broker::system_utc_clock clock;
    auto instruments = broker::load_instruments(cfg.instruments);
    broker::calendar_rules rules;
    rules.always_open = cfg.market_always_open;
    rules.holidays.insert(cfg.market_holidays.begin(), cfg.market_holidays.end());
    auto calendar = std::make_shared<const broker::market_calendar>(rules);
    // Everything that can refuse to load is read before the actor system
    // exists: once it runs, an exception would wait on its actors for ever.
    std::vector<broker::index_definition> indices;
    if (!cfg.indices.empty())
      indices = broker::load_indices(cfg.indices, *instruments);
    auto db = open_store(cfg);
    broker::edge::token_authority tokens{
      broker::edge::load_or_create_secret(cfg.data_dir + "/token.key"),
      static_cast<int64_t>(cfg.token_ttl_seconds), clock};
    broker::edge::token_authority operator_tokens{
      broker::edge::load_or_create_secret(cfg.data_dir + "/admin-token.key"),
      static_cast<int64_t>(cfg.admin_token_ttl_seconds), clock, "brokerd-admin"};

    caf::actor_system sys{caf_cfg};
    broker::sim::exchange_options ex;
    ex.seed = cfg.seed;
    ex.quote_interval = std::chrono::milliseconds{cfg.quote_interval_ms};
    // In process, the simulated exchange restarts empty if it dies; the
    // connector reconciles (cancels) what the broker had working on it. Over
    // FIX, each link is one session connection, reopened after a back-off.
    std::function<caf::actor()> open_exchange;
    std::string link_name = "in-process";
    if (cfg.exchange_is_fix) {
      broker::fix_link_options fix;
      fix.host = cfg.fix_host;
      fix.port = cfg.fix_port;
      fix.sender_comp_id = cfg.fix_sender_comp_id;
      fix.target_comp_id = cfg.fix_target_comp_id;
      fix.begin_string = cfg.fix_begin_string;
      fix.market_data_comp_id = cfg.fix_market_data_comp_id;
      for (auto& inst : instruments->all())
        fix.symbols.push_back(inst.symbol);
      fix.store_dir = cfg.data_dir + "/fix";
      fix.clock = &clock;
      open_exchange = [&sys, fix] { return broker::spawn_fix_link(sys, fix); };
      link_name = cfg.fix_begin_string + " to " + cfg.fix_host + ":" + std::to_string(cfg.fix_port);
    } else {
      open_exchange = [&sys, instruments, calendar, ex] {
        return broker::sim::spawn_exchange(sys, instruments, calendar, &clock, ex);
      };
    }
    broker::outside_services outside{
      open_exchange(),
      broker::sim::spawn_kyc_provider(sys, {std::chrono::milliseconds{cfg.kyc_delay_ms}}),
      broker::sim::spawn_payment_gateway(sys, {cfg.payment_fail_above}), open_exchange, link_name,
      cfg.exchange_is_fix && !cfg.fix_market_data_comp_id.empty()};
    broker::node_options opts;
    opts.indices = std::move(indices);
    opts.symbols.conflation_interval = std::chrono::milliseconds{cfg.conflation_ms};
    if (cfg.persistence_nice != 0)
      opts.persistence.on_thread_start = [nice = cfg.persistence_nice] {
        broker::sim::set_this_thread_nice(nice, "brokerd: persistence");
      };
    opts.persistence.timings = std::make_shared<broker::commit_timings>(); // for /metrics
    if (cfg.password_cost_minimum)
      opts.desk.cost = broker::password_cost::minimum();
    opts.persistence.retry_backoff_min = std::chrono::milliseconds{cfg.store_retry_min_ms};
    opts.persistence.retry_backoff_max = std::chrono::milliseconds{cfg.store_retry_max_ms};
    opts.fees = cfg.fees;
    opts.connector.check_every = std::chrono::milliseconds{cfg.stuck_order_check_ms};
    opts.connector.stuck_after = std::chrono::milliseconds{cfg.stuck_order_after_ms};
    opts.settlement_days = static_cast<int>(cfg.settlement_days);
    opts.cost_basis = cfg.cost_basis;
    opts.tax.long_term_after_days = static_cast<int>(cfg.long_term_after_days);
    opts.tax.year_start_month = static_cast<int>(cfg.tax_year_start_month);
    opts.tax.utc_offset_minutes = rules.utc_offset_minutes;
    opts.sessions.max_symbols = cfg.ws_max_symbols;
    opts.sessions.max_connections_per_user = cfg.ws_max_connections_per_user;
    if (cfg.password_cost_minimum)
      opts.users.cost = broker::password_cost::minimum();
    {
      broker::node node{sys, db, instruments, calendar, clock, outside, opts};
      caf::actor feed;
      if (cfg.feed_ticks_per_second > 0)
        feed = broker::sim::spawn_feed(sys, instruments, &clock, node.connector(),
                                       {cfg.feed_ticks_per_second, cfg.seed});
      broker::edge::rest_api api{node, tokens};
      // Both listeners' requests are timed by endpoint, for the console.
      broker::edge::load_figures load{cfg.console_chart_slot_seconds};
      broker::edge::timed_requests timed_api{api, load.requests};
      broker::edge::server_options http;
      http.address = cfg.address;
      http.port = cfg.port;
      http.io_threads = cfg.io_threads;
      // What an I/O thread allocates (requests, messages to actors) is freed
      // and reused by actor threads, so it comes from the pre-touched arena too.
      if (cfg.prefault_memory_mib > 0)
        http.on_io_thread_start = [] { broker::join_books_arena(); };
      // The console first: the listening line is the last one a starter waits for.
      broker::edge::admin_api admin{node, operator_tokens, BROKER_CONSOLE_DIR, load};
      broker::edge::timed_requests timed_admin{admin, load.requests};
      std::unique_ptr<broker::edge::http_server> admin_server;
      if (!cfg.admin_address.empty()) {
        broker::edge::server_options console;
        console.address = cfg.admin_address;
        console.port = cfg.admin_port;
        console.io_threads = 1;
        admin_server = std::make_unique<broker::edge::http_server>(timed_admin, console);
        admin_server->start();
        std::cout << "brokerd operator console on http://" << cfg.admin_address << ":" << admin_server->port()
                  << std::endl;
      }
      broker::edge::http_server server{timed_api, http};
      server.start();
      std::cout << "brokerd listening on http://" << cfg.address << ":" << server.port()
                << " (data in " << cfg.data_dir << ")" << std::endl;
      if (cfg.exchange_is_fix)
        std::cerr << "brokerd: the exchange is " << link_name << ", as " << cfg.fix_sender_comp_id << std::endl;

      int signal_number = 0;
      sigwait(&stop_signals, &signal_number);
      std::cout << "brokerd stopping" << std::endl;
      if (admin_server)
        admin_server->stop();
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
