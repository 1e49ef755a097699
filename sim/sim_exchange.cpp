// sim-exchange: the simulated exchange (matching engine, market maker,
// calendar) as a process of its own, taking orders over FIX 4.4 through a
// QuickFIX acceptor, with a ledger of its orders and executions so that it
// survives its own restart (sim/fix_desk.hpp says how).
//
//   sim-exchange --port P [--seed S] [--data-dir D] [--instruments F]
//                [--quote-interval-ms N] [--sender-comp-id SIMEX]
//                [--target-comp-id BROKER] [--market-data-comp-id SIMEX-MD]
//                [--admin-port A]
//
// It prints "sim-exchange listening for FIX 4.4 on port P (data in D)" once
// it accepts, and stops on SIGINT or SIGTERM. QuickFIX 1.15's acceptor binds
// no particular address: it listens on every interface of the machine.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <pthread.h>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "protocol/clock.hpp"
#include "protocol/instruments.hpp"
#include "protocol/market_calendar.hpp"
#include "sim/admin_port.hpp"
#include "sim/command_line.hpp"
#include "sim/exchange.hpp"
#include "sim/fix_desk.hpp"

#ifndef BROKER_CONFIG_DIR
#define BROKER_CONFIG_DIR "config"
#endif

namespace {

struct settings {
  uint16_t port = 0;
  uint64_t seed = 42;
  std::string data_dir = "sim-exchange-data";
  std::string instruments = BROKER_CONFIG_DIR "/instruments.csv";
  long quote_interval_ms = 250;
  std::string sender_comp_id = "SIMEX";
  std::string target_comp_id = "BROKER";
  std::string market_data_comp_id = "SIMEX-MD";
  long admin_port = -1; // -1: none; 0: pick one
};

[[noreturn]] void usage(int code, const std::string& why = {}) {
  if (!why.empty())
    std::cerr << "sim-exchange: " << why << " (see sim-exchange --help)\n";
  else
    std::cout << "usage: sim-exchange --port P [--seed S] [--data-dir D] [--instruments F]\n"
                 "                    [--quote-interval-ms N] [--sender-comp-id ID] [--target-comp-id ID]\n"
                 "  --port P               FIX acceptor port (required, 1-65535; every interface)\n"
                 "  --seed S               seed of the market maker's random walk (default 42)\n"
                 "  --data-dir D           the ledger (exchange.db) and QuickFIX's store and logs\n"
                 "                         (default sim-exchange-data)\n"
                 "  --instruments F        instrument master CSV (default config/instruments.csv)\n"
                 "  --quote-interval-ms N  how often the market maker requotes (default 250)\n"
                 "  --sender-comp-id ID    the exchange's CompID (default SIMEX)\n"
                 "  --target-comp-id ID    the broker's CompID (default BROKER)\n"
                 "  --market-data-comp-id ID  the exchange's CompID on the market data session\n"
                 "                         (default SIMEX-MD; empty: no market data over FIX)\n"
                 "  --admin-port A         fault injection on 127.0.0.1:A, one command a line (0: pick a\n"
                 "                         port; default: none). Commands: reject N, delay MS,\n"
                 "                         duplicate N, reorder N, silent on|off, drop, crash, clear, status\n";
  std::exit(code);
}

long whole(const std::string& name, const std::string& v, long min, long max) {
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < min || n > max)
    usage(2, "--" + name + ": \"" + v + "\" is not a whole number from " + std::to_string(min) + " to "
               + std::to_string(max));
  return n;
}

settings parse(int argc, char** argv) {
  settings s;
  bool have_port = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h")
      usage(0);
    auto read = broker::sim::read_option(argc, argv, i);
    if (auto* why = std::get_if<std::string>(&read))
      usage(2, *why);
    auto [name, value] = std::get<broker::sim::cli_option>(std::move(read));
    if (name == "port") {
      s.port = static_cast<uint16_t>(whole(name, value, 1, 65535));
      have_port = true;
    } else if (name == "seed") {
      s.seed = static_cast<uint64_t>(whole(name, value, 0, std::numeric_limits<long>::max()));
    } else if (name == "data-dir") {
      s.data_dir = value;
    } else if (name == "instruments") {
      s.instruments = value;
    } else if (name == "quote-interval-ms") {
      s.quote_interval_ms = whole(name, value, 1, 3'600'000);
    } else if (name == "sender-comp-id") {
      s.sender_comp_id = value;
    } else if (name == "target-comp-id") {
      s.target_comp_id = value;
    } else if (name == "market-data-comp-id") {
      s.market_data_comp_id = value;
    } else if (name == "admin-port") {
      s.admin_port = whole(name, value, 0, 65535);
    } else {
      usage(2, "unknown option --" + name);
    }
  }
  if (!have_port)
    usage(2, "--port is required");
  return s;
}

} // namespace

int main(int argc, char** argv) {
  auto s = parse(argc, argv);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    static broker::system_utc_clock clock;
    auto instruments = broker::load_instruments(s.instruments);
    auto calendar = std::make_shared<const broker::market_calendar>(broker::calendar_rules{});
    caf::actor_system_config cfg;
    caf::actor_system sys{cfg};
    broker::sim::exchange_options ex;
    ex.seed = s.seed;
    ex.quote_interval = std::chrono::milliseconds{s.quote_interval_ms};
    auto exchange = broker::sim::spawn_exchange(sys, instruments, calendar, &clock, ex);
    // The exchange re-arms a timer: it is told to go, or the actor system
    // would wait for it for ever, on every way out of here.
    auto stop_exchange = [&] { caf::anon_send_exit(exchange, caf::exit_reason::user_shutdown); };
    try {
      broker::sim::fix_desk_options d;
      d.port = s.port;
      d.sender_comp_id = s.sender_comp_id;
      d.target_comp_id = s.target_comp_id;
      d.market_data_comp_id = s.market_data_comp_id;
      d.instruments = instruments;
      d.data_dir = s.data_dir;
      d.clock = &clock;
      broker::sim::fix_desk desk{sys, exchange, d};
      std::unique_ptr<broker::sim::admin_port> admin;
      if (s.admin_port >= 0) {
        admin = std::make_unique<broker::sim::admin_port>(
          static_cast<uint16_t>(s.admin_port), [&desk](const std::string& line) { return desk.fault(line); });
        std::cout << "sim-exchange admin port 127.0.0.1:" << admin->port() << std::endl;
      }
      std::cout << "sim-exchange listening for FIX 4.4 on port " << s.port << " (data in " << s.data_dir << ")"
                << std::endl;
      int signal_number = 0;
      sigwait(&stop_signals, &signal_number);
      std::cout << "sim-exchange stopping" << std::endl;
    } catch (...) {
      stop_exchange();
      throw;
    }
    stop_exchange();
  } catch (const std::exception& e) {
    std::cerr << "sim-exchange: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
