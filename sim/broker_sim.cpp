// broker-sim: deterministic simulation runs of the whole broker (what
// sim/simulation_run.hpp runs per seed), one seed or a sweep.
//
//   broker-sim --seed S [--users N] [--duration D] [--faults LIST] [--until-failure]
//   broker-sim --seeds A..B [...]          a sweep: one line per seed, stops at a failure
//   broker-sim --replay S --trace [...]    the run of seed S again, every event printed
//
// D is simulated time: 26h (default), 90m, 1d. LIST: fault names separated by
// commas (see sim/simulation_run.hpp), or all, or none (default all). Exit code 0 when every invariant held, 1 when
// one broke (the seed, the invariant and the events that led to it are printed),
// 2 for a bad command line.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <iostream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "sim/command_line.hpp"
#include "sim/simulation_run.hpp"

#ifndef BROKER_CONFIG_DIR
#define BROKER_CONFIG_DIR "config"
#endif

namespace {

using broker::sim::simulation_config;
using broker::sim::simulation_result;

[[noreturn]] void usage(int code, const std::string& why = {}) {
  if (!why.empty()) {
    std::cerr << "broker-sim: " << why << " (see broker-sim --help)\n";
    std::exit(code);
  }
  std::cout
    << "usage: broker-sim --seed S | --seeds A..B | --replay S [options]\n"
       "  --seed S            run seed S (default 1)\n"
       "  --seeds A..B        run seeds A to B, one line each; stop at the first failure\n"
       "  --until-failure     run seeds from S (or A) upward until one fails\n"
       "  --replay S          run seed S again (with --trace: every event as it happens)\n"
       "  --trace             print every event\n"
       "  --users N           simulated users (default 100)\n"
       "  --duration D        simulated time from Monday 09:00 IST: 26h (default), 90m, 1d\n"
       "  --think-time D      mean time between a user's actions (default 5m)\n"
       "  --check-every D     full invariant checks on the store (default 30m)\n"
       "  --faults LIST       comma-separated, of: store-fail store-stall exchange-reject\n"
       "                      exchange-duplicate exchange-reorder exchange-delay exchange-drop\n"
       "                      account-kill symbol-kill slow-client crash; or all (default), or none\n"
       "  --work-dir D        where each run's database goes (default /tmp/broker-sim)\n"
       "  --instruments F     instrument master (default config/instruments.csv)\n";
  std::exit(code);
}

uint64_t whole(const std::string& name, const std::string& v) {
  char* end = nullptr;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || v[0] == '-')
    usage(2, "--" + name + ": \"" + v + "\" is not a whole number");
  return n;
}

std::chrono::nanoseconds duration_of(const std::string& name, const std::string& v) {
  size_t digits = 0;
  while (digits < v.size() && std::isdigit(static_cast<unsigned char>(v[digits])))
    ++digits;
  if (digits == 0 || digits == v.size())
    usage(2, "--" + name + ": \"" + v + "\" is not a duration (30s, 90m, 26h, 1d)");
  auto n = static_cast<int64_t>(whole(name, v.substr(0, digits)));
  auto unit = v.substr(digits);
  if (unit == "s")
    return std::chrono::seconds{n};
  if (unit == "m")
    return std::chrono::minutes{n};
  if (unit == "h")
    return std::chrono::hours{n};
  if (unit == "d")
    return std::chrono::hours{24 * n};
  usage(2, "--" + name + ": unit \"" + unit + "\" is not s, m, h or d");
}

std::set<std::string> faults_of(const std::string& v) {
  const auto& known = broker::sim::fault_names();
  if (v == "all")
    return {known.begin(), known.end()};
  if (v == "none")
    return {};
  std::set<std::string> out;
  std::istringstream in{v};
  for (std::string f; std::getline(in, f, ',');) {
    if (std::find(known.begin(), known.end(), f) == known.end())
      usage(2, "--faults: unknown fault \"" + f + "\" (see --help)");
    out.insert(f);
  }
  return out;
}

std::string list_of(const std::set<std::string>& faults) {
  std::string out;
  for (auto& f : faults)
    out += (out.empty() ? "" : ",") + f;
  return out.empty() ? "none" : out;
}

void print_summary(const simulation_config& cfg, const simulation_result& r) {
  std::printf("broker-sim seed %llu: %s, %zu users, faults %s\n", static_cast<unsigned long long>(cfg.seed),
              r.ok ? "every invariant held" : "AN INVARIANT BROKE", cfg.users, list_of(cfg.faults).c_str());
  std::printf("  simulated %.0f s in %.2f s of wall time (%.0fx)\n", r.simulated_seconds, r.wall_seconds,
              r.simulated_seconds / std::max(r.wall_seconds, 1e-9));
  std::printf("  events %llu:", static_cast<unsigned long long>(r.events));
  for (auto& [what, n] : r.actions)
    if (what.rfind("cancel ", 0) != 0)
      std::printf(" %s %llu", what.c_str(), static_cast<unsigned long long>(n));
  uint64_t cancels = 0;
  for (auto& [what, n] : r.actions)
    if (what.rfind("cancel ", 0) == 0)
      cancels += n;
  std::printf(" cancel %llu\n", static_cast<unsigned long long>(cancels));
  std::printf("  refused:");
  for (auto& [code, n] : r.refusals)
    std::printf(" %s %llu", code.c_str(), static_cast<unsigned long long>(n));
  std::printf("\n  orders %llu, fills %llu; faults injected:", static_cast<unsigned long long>(r.orders),
              static_cast<unsigned long long>(r.fills));
  for (auto& [what, n] : r.faults)
    std::printf(" %s %llu", what.c_str(), static_cast<unsigned long long>(n));
  if (r.unsynced_writes_lost > 0)
    std::printf(" (the crashes lost %llu unsynced writes)", static_cast<unsigned long long>(r.unsynced_writes_lost));
  std::printf("\n  invariants checked %llu times\n  digest %s\n", static_cast<unsigned long long>(r.invariant_checks),
              r.digest.c_str());
  if (!r.ok) {
    std::printf("  first broken: %s\n  the last events before it:\n", r.failure.c_str());
    for (auto& e : r.last_events)
      std::printf("    %s\n", e.c_str());
    std::printf("  replay: broker-sim --replay %llu --trace --users %zu --faults %s\n",
                static_cast<unsigned long long>(cfg.seed), cfg.users, list_of(cfg.faults).c_str());
  }
}

} // namespace

int main(int argc, char** argv) {
  simulation_config cfg;
  cfg.faults = faults_of("all");
  cfg.instruments_csv = BROKER_CONFIG_DIR "/instruments.csv";
  std::string work_dir = "/tmp/broker-sim";
  uint64_t first = 1, last = 1;
  bool sweep = false, until_failure = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h")
      usage(0);
    if (a == "--trace") {
      cfg.trace = true;
      continue;
    }
    if (a == "--until-failure") {
      until_failure = true;
      continue;
    }
    auto read = broker::sim::read_option(argc, argv, i);
    if (auto* why = std::get_if<std::string>(&read))
      usage(2, *why);
    auto [name, value] = std::get<broker::sim::cli_option>(std::move(read));
    if (name == "seed" || name == "replay") {
      first = last = whole(name, value);
    } else if (name == "seeds") {
      auto dots = value.find("..");
      if (dots == std::string::npos)
        usage(2, "--seeds: \"" + value + "\" is not A..B");
      first = whole(name, value.substr(0, dots));
      last = whole(name, value.substr(dots + 2));
      if (last < first)
        usage(2, "--seeds: " + value + " ends before it starts");
      sweep = true;
    } else if (name == "users") {
      cfg.users = whole(name, value);
      if (cfg.users == 0)
        usage(2, "--users: at least 1");
    } else if (name == "duration") {
      cfg.duration = duration_of(name, value);
    } else if (name == "think-time") {
      cfg.think_time = duration_of(name, value);
    } else if (name == "check-every") {
      cfg.check_every = duration_of(name, value);
    } else if (name == "faults") {
      cfg.faults = faults_of(value);
    } else if (name == "work-dir") {
      work_dir = value;
    } else if (name == "instruments") {
      cfg.instruments_csv = value;
    } else {
      usage(2, "unknown option --" + name);
    }
  }
  if (until_failure)
    last = UINT64_MAX;
  bool tty = isatty(STDERR_FILENO) && !cfg.trace;
  // The actors' own log lines (retries, reconnects) go to each run's
  // actors.log; the terminal gets the progress bar and the verdicts.
  FILE* console = fdopen(dup(STDERR_FILENO), "w");
  auto sweep_start = std::chrono::steady_clock::now();
  uint64_t runs = 0;
  for (uint64_t seed = first;; ++seed) {
    cfg.seed = seed;
    cfg.work_dir = work_dir + "/seed-" + std::to_string(seed);
    if (tty)
      cfg.progress = [seed, console](double done) {
        int filled = static_cast<int>(done * 40);
        std::fprintf(console, "\rseed %llu [%-40s] %3d%%", static_cast<unsigned long long>(seed),
                     std::string(static_cast<size_t>(filled), '#').c_str(), static_cast<int>(done * 100));
        std::fflush(console);
      };
    std::filesystem::create_directories(work_dir);
    auto log = work_dir + "/seed-" + std::to_string(seed) + ".actors.log";
    if (!cfg.trace && !std::freopen(log.c_str(), "w", stderr))
      usage(2, "cannot write " + log);
    simulation_result r;
    try {
      r = broker::sim::run_simulation(cfg);
    } catch (const std::exception& e) {
      std::fprintf(console, "\nbroker-sim: seed %llu: %s\n", static_cast<unsigned long long>(seed), e.what());
      return 1;
    }
    ++runs;
    if (tty)
      std::fprintf(console, "\r%60s\r", "");
    if (sweep || until_failure) {
      std::printf("seed %llu %s %s (%.2f s)\n", static_cast<unsigned long long>(seed), r.ok ? "ok" : "FAILED",
                  r.digest.c_str(), r.wall_seconds);
      if (!r.ok)
        print_summary(cfg, r);
    } else {
      print_summary(cfg, r);
    }
    std::fflush(stdout);
    if (!r.ok) {
      std::printf("  the actors' log: %s\n", log.c_str());
      return 1;
    }
    std::filesystem::remove_all(cfg.work_dir);
    std::fflush(stderr);
    std::filesystem::remove(log);
    if (seed == last)
      break;
  }
  if (sweep || until_failure) {
    double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - sweep_start).count() / 60;
    std::printf("%llu seeds, every invariant held; %.1f seeds per minute\n", static_cast<unsigned long long>(runs),
                static_cast<double>(runs) / std::max(minutes, 1e-9));
  }
  return 0;
}
