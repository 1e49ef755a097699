// order_bench: places orders at a constant target rate through the real actor
// core (node -> directory -> account -> persistence -> SQLite in WAL mode, the
// simulated exchange attached so accepted orders also reach the matching
// engine) and reports throughput and accept-to-durable-ack latency.
//
// Open loop: a driver thread sends order i at t0 + i/rate whatever has come
// back, and latency is measured from that scheduled time, not from the actual
// send. A stalled driver or a backed-up core therefore shows up in the numbers
// (no coordinated omission). This is a measuring tool, so it reads the real
// steady clock; the broker itself still gets its time from utc_clock.
//
// No HTTP: users are written straight into the store (KYC verified, ample
// cash) before the node is built, and orders enter through node::place_order.
//
// Closed loop (--clients C): C clients, each placing its next order when its
// last one is acknowledged, as pgbench's clients do; latency from the send.
// That is the "equal concurrency" sim/compare sets against the per-order design.
//
//   order_bench [--rate N | --clients C] [--seconds S] [--warmup S] [--users U] [--symbols K]
//               [--order-type limit|market] [--sync full|normal] [--data-dir D]
//               [--find-max] ...      (--help lists every flag)
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "actors/account_book.hpp"
#include "actors/fix_link.hpp"
#include "actors/node.hpp"
#include "actors/scheduler_settings.hpp"
#include "protocol/instruments.hpp"
#include "protocol/market_calendar.hpp"
#include "sim/books_arena_hook.hpp"
#include "sim/exchange.hpp"
#include "sim/order_stages.hpp"
#include "sim/outside_services.hpp"
#include "sim/resident_memory.hpp"
#include "sim/thread_priority.hpp"
#include "storage/postgres_store.hpp"
#include "storage/sqlite_store.hpp"

#include <pqxx/pqxx>

#ifndef BROKER_CONFIG_DIR
#define BROKER_CONFIG_DIR "config"
#endif

namespace {

using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

// ---- options -----------------------------------------------------------------

struct options {
  double rate = 20000;       // orders per second
  int clients = 0;           // > 0: closed loop, this many clients with one order in flight each
  double seconds = 10;       // measured window
  double warmup = 2;         // before the window; its orders are sent but not measured
  int64_t users = 1000;
  std::string data_dir;      // empty: a fresh mkdtemp directory, removed afterwards
  std::string database_url;  // a PostgreSQL server: each run gets a fresh database on it
  std::string fix_host;      // set: the exchange is sim-exchange (or any acceptor) over FIX
  uint16_t fix_port = 0;
  bool sync_full = true;
  broker::order_type type = broker::order_type::limit;
  int symbols = 40;
  int64_t quantity = 1;
  bool idempotency_keys = true; // one unique Idempotency-Key per order, as clients send
  int workers = 0;              // CAF scheduler threads; 0: one per core, as brokerd runs
  size_t max_batch_rows = broker::persistence_options{}.max_batch_rows;
  double min_commit_interval_us = -1; // -1: the node's default
  bool spin = false;            // spin instead of sleeping between sends
  bool lock_memory = false;     // mlockall (brokerd's lock-memory, off by default)
  size_t prefault_mib = 0;      // in the actors' arena, at start (brokerd's prefault-memory-mib)
  int checkpoint_pages = -1;    // SQLite background checkpoint threshold (-1: the store's default)
  std::string memory_lock;      // what lock_resident_memory said
  double send_quantum_us = 0;   // wake at most this often; send all that is due
  double drain_seconds = 60;    // how long to wait for outstanding acks after the last send
  int fsync_probe = 200;        // appends+fdatasync to time the disk; 0: skip
  bool keep = false;            // keep the temp data dir
  bool timeline = true;
  std::vector<std::string> caf_settings; // --caf section.key=value, handed to CAF as INI
  std::string instruments = BROKER_CONFIG_DIR "/instruments.csv";
  // Verdicts.
  double p99_limit_ms = 10;     // --find-max: a step passes only with p99 below this
  double tolerance = 0.02;      // acks/s within this fraction of the target
  // --find-max
  bool find_max = false;
  double start_rate = 5000;
  double max_rate = 320000;
  int refine = 2;               // bisection steps between the last pass and the first fail
  std::optional<int> persistence_nice; // else left alone, as brokerd
  bool census = true; // --no-census: actors not enrolled nor counted (the console's cost)
  int retries = 1;              // a failing step is run again this many times
  double min_rate = 500;        // lowest rate tried when the start rate already fails
  bool seconds_given = false, warmup_given = false;
};

bool sets_caf(const options& o, const std::string& key) {
  return std::any_of(o.caf_settings.begin(), o.caf_settings.end(),
                     [&](const std::string& kv) { return kv.rfind(key + "=", 0) == 0; });
}

[[noreturn]] void usage(int code) {
  std::FILE* out = code == 0 ? stdout : stderr;
  std::fprintf(out,
    "order_bench: constant-rate order placement through the actor core, durable-ack latency\n"
    "  --rate N            target orders/s (default 20000)\n"
    "  --seconds S         measured window (default 10; --find-max: 4)\n"
    "  --warmup S          unmeasured lead-in (default 2; --find-max: 1)\n"
    "  --users U           users, round robin (default 1000)\n"
    "  --symbols K         instruments, round robin (default 40)\n"
    "  --clients C         closed loop instead of a rate: C clients, each sending its next\n"
    "                      order when its last is acknowledged (latency from the send)\n"
    "  --order-type T      limit (BUY at the lower price band: rests, holds cash) | market\n"
    "  --quantity Q        shares per order (default 1)\n"
    "  --sync full|normal  SQLite synchronous (default full)\n"
    "  --data-dir D        where broker.db goes (default: mkdtemp under $TMPDIR or /tmp)\n"
    "  --exchange fix://H:P  the exchange over FIX 4.4 (sim-exchange on a fresh data dir: the\n"
    "                      session's sequence numbers start over) instead of in process\n"
    "  --database-url U    PostgreSQL instead of SQLite: a server URL without a database\n"
    "                      (postgresql://user@host:port); each run creates and drops its own\n"
    "  --no-idempotency    send orders without an Idempotency-Key\n"
    "  --workers N         CAF scheduler threads (default: one per core, as brokerd runs)\n"
    "  --caf S.K=V         any CAF setting, e.g. work-stealing.moderate-sleep-duration=1ms\n"
    "  --max-batch-rows N  persistence flushes early at this many rows (default %zu)\n"
    "  --no-census           actors neither enrolled nor counted: what the console costs\n"
    "  --persistence-nice N  nice value of the persistence thread (default: left alone, as\n"
    "                      brokerd; negative needs root or CAP_SYS_NICE)\n"
    "  --spin              busy-wait between sends instead of sleeping (costs a core)\n"
    "  --checkpoint-pages N  SQLite: checkpoint in the background once the WAL holds N\n"
    "                      pages (default: the store's, 1000)\n"
    "  --prefault-mib N    pre-touch N MiB in the actors' allocator arena at start (brokerd's\n"
    "                      prefault-memory-mib; see sim/resident_memory.hpp)\n"
    "  --lock-memory       mlockall, as brokerd --lock-memory: pages are populated as they\n"
    "                      are mapped instead of faulting in one by one as the books grow\n"
    "  --min-commit-interval-us N  persistence starts a commit at most every N us under\n"
    "                      load (default: brokerd's default)\n"
    "  --send-quantum-us Q wake at most every Q us and send every order due by then, as an\n"
    "                      I/O thread handles what one poll returned (default 0: wake per\n"
    "                      order); latency still counts from each order's scheduled time\n"
    "  --drain S           wait at most S s for outstanding acks (default 60)\n"
    "  --fsync-probe N     time N 4 KiB append+fdatasync in the data dir first (default 200, 0: off)\n"
    "  --no-timeline       skip the per-second table\n"
    "  --keep              keep the temporary data dir\n"
    "  --instruments F     instrument CSV (default " BROKER_CONFIG_DIR "/instruments.csv)\n"
    "  --p99-limit-ms X    --find-max pass threshold on p99 (default 10)\n"
    "  --tolerance F       acks/s must be within F of the target (default 0.02)\n"
    "  --find-max          step the rate 5k, 10k, 20k, ... (doubling) until a step fails (or\n"
    "                      halve down if 5k fails), then bisect; report the highest rate\n"
    "                      that kept up with p99 < limit\n"
    "  --start-rate N      first --find-max step (default 5000)\n"
    "  --max-rate N        last --find-max step (default 320000)\n"
    "  --refine N          bisection steps after the first failing step (default 2)\n"
    "  --retries N         run a failing step again up to N times (default 1; shared machines)\n"
    "  --min-rate N        if --start-rate fails, halve down to this (default 500)\n",
    broker::persistence_options{}.max_batch_rows);
  std::exit(code);
}

options parse_args(int argc, char** argv) {
  // --flag=value and --flag value are both accepted: split the first form.
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      args.push_back(a.substr(0, eq));
      args.push_back(a.substr(eq + 1));
    } else {
      args.push_back(a);
    }
  }
  options o;
  size_t i = 0;
  auto value = [&](const std::string& flag) -> std::string {
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "order_bench: %s needs a value\n", flag.c_str());
      usage(2);
    }
    return args[++i];
  };
  auto num = [&](const std::string& flag) -> double {
    std::string v = value(flag);
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != '\0' || !std::isfinite(d) || d < 0) {
      std::fprintf(stderr, "order_bench: %s wants a non-negative number, got '%s'\n", flag.c_str(),
                   v.c_str());
      usage(2);
    }
    return d;
  };
  auto choice = [&](const std::string& flag, const char* a, const char* b) -> bool {
    std::string v = value(flag);
    if (v != a && v != b) {
      std::fprintf(stderr, "order_bench: %s is %s or %s\n", flag.c_str(), a, b);
      usage(2);
    }
    return v == a;
  };
  for (; i < args.size(); ++i) {
    const std::string a = args[i];
    if (a == "--help" || a == "-h") usage(0);
    else if (a == "--rate") o.rate = num(a);
    else if (a == "--clients") o.clients = static_cast<int>(num(a));
    else if (a == "--seconds") o.seconds = num(a), o.seconds_given = true;
    else if (a == "--warmup") o.warmup = num(a), o.warmup_given = true;
    else if (a == "--users") o.users = static_cast<int64_t>(num(a));
    else if (a == "--symbols") o.symbols = static_cast<int>(num(a));
    else if (a == "--quantity") o.quantity = static_cast<int64_t>(num(a));
    else if (a == "--workers") o.workers = static_cast<int>(num(a));
    else if (a == "--max-batch-rows") o.max_batch_rows = static_cast<size_t>(num(a));
    else if (a == "--drain") o.drain_seconds = num(a);
    else if (a == "--send-quantum-us") o.send_quantum_us = num(a);
    else if (a == "--min-commit-interval-us") o.min_commit_interval_us = num(a);
    else if (a == "--fsync-probe") o.fsync_probe = static_cast<int>(num(a));
    else if (a == "--p99-limit-ms") o.p99_limit_ms = num(a);
    else if (a == "--tolerance") o.tolerance = num(a);
    else if (a == "--start-rate") o.start_rate = num(a);
    else if (a == "--max-rate") o.max_rate = num(a);
    else if (a == "--refine") o.refine = static_cast<int>(num(a));
    else if (a == "--retries") o.retries = static_cast<int>(num(a));
    else if (a == "--persistence-nice") {
      std::string v = value(a);
      o.persistence_nice = std::atoi(v.c_str());
    }
    else if (a == "--min-rate") o.min_rate = num(a);
    else if (a == "--no-census") o.census = false;
    else if (a == "--data-dir") o.data_dir = value(a);
    else if (a == "--database-url") o.database_url = value(a);
    else if (a == "--exchange") {
      std::string v = value(a);
      auto colon = v.rfind(':');
      if (v.rfind("fix://", 0) != 0 || colon == std::string::npos || colon < 7) {
        std::fprintf(stderr, "order_bench: --exchange takes fix://HOST:PORT (default: the in-process exchange)\n");
        usage(2);
      }
      o.fix_host = v.substr(6, colon - 6);
      o.fix_port = static_cast<uint16_t>(std::atoi(v.c_str() + colon + 1));
    }
    else if (a == "--instruments") o.instruments = value(a);
    else if (a == "--sync") o.sync_full = choice(a, "full", "normal");
    else if (a == "--order-type")
      o.type = choice(a, "limit", "market") ? broker::order_type::limit : broker::order_type::market;
    else if (a == "--caf") {
      std::string kv = value(a);
      auto eq = kv.find('=');
      auto dot = kv.find('.');
      if (eq == std::string::npos || dot == std::string::npos || dot > eq) {
        std::fprintf(stderr, "order_bench: --caf wants section.key=value, got '%s'\n", kv.c_str());
        usage(2);
      }
      o.caf_settings.push_back(kv);
    } else if (a == "--no-idempotency") o.idempotency_keys = false;
    else if (a == "--spin") o.spin = true;
    else if (a == "--lock-memory") o.lock_memory = true;
    else if (a == "--no-lock-memory") o.lock_memory = false;
    else if (a == "--prefault-mib") o.prefault_mib = static_cast<size_t>(num(a));
    else if (a == "--checkpoint-pages") o.checkpoint_pages = static_cast<int>(num(a));
    else if (a == "--keep") o.keep = true;
    else if (a == "--no-timeline") o.timeline = false;
    else if (a == "--find-max") o.find_max = true;
    else {
      std::fprintf(stderr, "order_bench: unknown argument %s\n", a.c_str());
      usage(2);
    }
  }
  if (o.find_max && o.clients > 0) {
    std::fprintf(stderr, "order_bench: --find-max steps a rate; a closed loop (--clients) has none\n");
    usage(2);
  }
  if (o.find_max) {
    if (!o.seconds_given) o.seconds = 4;
    if (!o.warmup_given) o.warmup = 1;
  }
  if (o.rate < 1 || o.seconds <= 0 || o.users < 1 || o.symbols < 1 || o.quantity < 1
      || o.start_rate < 1) {
    std::fprintf(stderr, "order_bench: rates, seconds, users, symbols and quantity must be positive\n");
    usage(2);
  }
  return o;
}

// ---- small helpers -----------------------------------------------------------

pid_t current_tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

double cpu_seconds_now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

using broker::sim::percentile; // nearest rank, of a sorted vector

double ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  va_list ap, again;
  va_start(ap, f);
  va_copy(again, ap);
  int n = std::vsnprintf(nullptr, 0, f, ap); // sized first: the JSON line is long
  va_end(ap);
  std::string out(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0)
    std::vsnprintf(out.data(), out.size() + 1, f, again);
  va_end(again);
  return out;
}

// ---- per-thread CPU from /proc -------------------------------------------------

struct thread_sample {
  std::string comm;
  double cpu_s = 0;        // on-CPU time
  double runq_wait_s = -1; // time runnable but waiting for a CPU (schedstat), -1 if unknown
  long vol_cs = 0, invol_cs = 0;
};

std::map<pid_t, thread_sample> sample_threads() {
  std::map<pid_t, thread_sample> out;
  static const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (auto& e : fs::directory_iterator("/proc/self/task", ec)) {
    pid_t tid = static_cast<pid_t>(std::atoi(e.path().filename().c_str()));
    thread_sample s;
    {
      std::ifstream f(e.path() / "comm");
      std::getline(f, s.comm);
    }
    bool have_schedstat = false;
    {
      std::ifstream f(e.path() / "schedstat");
      unsigned long long run_ns = 0, wait_ns = 0;
      if (f >> run_ns >> wait_ns) {
        s.cpu_s = static_cast<double>(run_ns) / 1e9;
        s.runq_wait_s = static_cast<double>(wait_ns) / 1e9;
        have_schedstat = true;
      }
    }
    if (!have_schedstat) {
      std::ifstream f(e.path() / "stat");
      std::string line;
      std::getline(f, line);
      auto rp = line.rfind(')');
      if (rp != std::string::npos) {
        std::istringstream in(line.substr(rp + 2));
        std::vector<std::string> fields;
        std::string x;
        while (in >> x)
          fields.push_back(x);
        if (fields.size() > 12)
          s.cpu_s = (std::stod(fields[11]) + std::stod(fields[12])) / tick;
      }
    }
    {
      std::ifstream f(e.path() / "status");
      std::string line;
      while (std::getline(f, line)) {
        if (line.rfind("voluntary_ctxt_switches:", 0) == 0)
          s.vol_cs = std::atol(line.c_str() + 24);
        else if (line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
          s.invol_cs = std::atol(line.c_str() + 27);
      }
    }
    out.emplace(tid, std::move(s));
  }
  return out;
}

// Whole-machine CPU from /proc/stat: busy and total jiffies over all CPUs.
struct machine_cpu {
  unsigned long long busy = 0, total = 0;
};
machine_cpu sample_machine() {
  machine_cpu m;
  std::ifstream f("/proc/stat");
  std::string cpu;
  unsigned long long v[10] = {};
  if (f >> cpu) {
    for (auto& x : v)
      f >> x;
    // user nice system idle iowait irq softirq steal guest guest_nice
    unsigned long long idle = v[3] + v[4];
    for (int i = 0; i < 8; ++i) // guest time is already counted in user
      m.total += v[i];
    m.busy = m.total - idle;
  }
  return m;
}

// This process's I/O from /proc/self/io: bytes and calls through read/write
// syscalls (rchar/wchar count pread/pwrite too) and what reached the device.
struct process_io {
  unsigned long long rchar = 0, wchar = 0, syscr = 0, syscw = 0, write_bytes = 0;
};
process_io sample_io() {
  process_io io;
  std::ifstream f("/proc/self/io");
  std::string key;
  unsigned long long v = 0;
  while (f >> key >> v) {
    if (key == "rchar:") io.rchar = v;
    else if (key == "wchar:") io.wchar = v;
    else if (key == "syscr:") io.syscr = v;
    else if (key == "syscw:") io.syscw = v;
    else if (key == "write_bytes:") io.write_bytes = v;
  }
  return io;
}

// ---- disk probe ------------------------------------------------------------------

struct fsync_probe_result {
  int n = 0;
  double p50_ms = 0, p99_ms = 0, mean_ms = 0, max_ms = 0;
};

// Times 4 KiB appends each followed by fdatasync, roughly what a WAL commit
// with synchronous=FULL costs the disk (SQLite: one fsync of the WAL).
std::optional<fsync_probe_result> probe_fsync(const std::string& dir, int n) {
  if (n <= 0)
    return std::nullopt;
  std::string path = dir + "/fsync_probe.tmp";
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0)
    return std::nullopt;
  std::vector<char> block(4096, 'x');
  std::vector<int64_t> t;
  for (int i = 0; i < n; ++i) {
    auto a = steady::now();
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()))
      break;
    if (::fdatasync(fd) != 0)
      break;
    t.push_back((steady::now() - a).count());
  }
  ::close(fd);
  ::unlink(path.c_str());
  if (t.empty())
    return std::nullopt;
  fsync_probe_result r;
  r.n = static_cast<int>(t.size());
  double sum = 0;
  for (auto x : t)
    sum += static_cast<double>(x);
  std::sort(t.begin(), t.end());
  r.p50_ms = ms(percentile(t, 0.50));
  r.p99_ms = ms(percentile(t, 0.99));
  r.max_ms = ms(t.back());
  r.mean_ms = sum / static_cast<double>(t.size()) / 1e6;
  return r;
}

// ---- the run -------------------------------------------------------------------

// Written by the callbacks (CAF worker threads), read by the main thread.
struct shared_results {
  explicit shared_results(size_t n) : ack(n), sent(n, 0), order_id(n, 0) {}
  // ns since t0 at which order i was acked: > 0 accepted, < 0 rejected, 0 not yet.
  std::vector<std::atomic<int64_t>> ack;
  std::vector<int64_t> sent; // ns since t0 of the actual send (driver thread only)
  std::vector<int64_t> order_id; // of accepted order i, written before its ack is counted
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> next{0}; // closed loop: the next order's index (= orders sent)
  std::atomic<uint64_t> rejected{0};
  std::mutex first_rejection_mutex;
  std::string first_rejection;
};

struct sample {
  double t_s = 0;          // seconds since t0, when the sample was taken
  uint64_t commits = 0;
  bool commits_ok = false;
  double cpu_s = 0;        // process CPU
};

struct thread_row {
  std::string label;
  pid_t tid = 0;
  double cpu_s = 0, runq_wait_s = -1;
  long vol_cs = 0, invol_cs = 0;
};

struct timeline_row {
  int second = 0;
  uint64_t sent = 0, acked = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  int64_t commits = -1;
  double cores = 0;
};

struct run_result {
  // config
  double target_rate = 0, seconds = 0, warmup = 0;
  int workers = 0;
  int64_t worker_sleep_us = 0; // CAF workers' sleep between polls
  // memory
  std::vector<size_t> arena_resident; // allocator arenas' resident bytes once drained
  size_t arena_fallback_maps = 0;     // the books' arena's mappings beyond its reservoir
  // counts
  uint64_t planned = 0, sent = 0, completed = 0, accepted = 0, rejected = 0, lost = 0;
  uint64_t window_orders = 0; // scheduled inside the measured window
  uint64_t rejected_in_window = 0;
  std::string first_rejection;
  // rates over the measured window
  double send_rate = 0, ack_rate = 0;
  // latency of orders scheduled in the window, scheduled send -> durable ack
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
  double p99_first = 0, p99_last = 0; // first and last fifth of the window
  double lag_p99 = 0, lag_max = 0;    // actual send - scheduled send
  // persistence
  int64_t commits_total = -1, commits_window = -1;
  double orders_per_commit = 0, commits_per_s = 0;
  broker::commit_timings::figures commit_time; // whole run
  broker::sim::stage_split stages;             // window
  // CPU
  double cpu_total_s = 0, cpu_window_s = 0, cores_busy = 0, cpu_us_per_order = 0;
  double machine_cores_busy = -1; // every process on the machine, during the window
  double others_cores_busy = -1;  // machine minus this process: the noise
  // I/O in the window per acked order (the fsync probe's own file is not in the window)
  double write_kib_per_order = 0, writes_per_order = 0, reads_per_order = 0, device_kib_per_order = 0;
  std::vector<thread_row> threads; // during the window
  std::vector<timeline_row> timeline;
  // Stretches where acks stalled: scheduled-time slots (10 ms) whose worst
  // latency passed 10 ms, merged; the longest few. `t0_monotonic_s` places
  // them on CLOCK_MONOTONIC, to line them up with perf or a trace.
  struct stall {
    double from_s = 0, to_s = 0, max_ms = 0;
  };
  std::vector<stall> stalls;
  double t0_monotonic_s = 0;
  // phases
  double seed_ms = 0, node_start_ms = 0, drain_ms = 0, shutdown_ms = 0;
  // verdict
  bool throughput_ok = false, latency_bounded = false, kept_up = false, under_p99_limit = false;
  std::string why_not;
  std::string data_dir;
  bool data_dir_removed = false;
};

double since(steady::time_point a) {
  return std::chrono::duration<double, std::milli>(steady::now() - a).count();
}

std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/order_bench.XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data()))
    throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  return buf.data();
}

// Users 1..U, verified, with ample cash, written in one batch before the node loads the store.
// CREATE / DROP DATABASE on the server's maintenance database (they can't run
// in a transaction).
void pg_admin(const std::string& server, const std::string& sql) {
  pqxx::connection c{server + "/postgres"};
  pqxx::nontransaction tx{c};
  tx.exec(sql);
}

void seed_users(broker::store& db, int64_t users, broker::timestamp now) {
  broker::write_batch b;
  b.users.reserve(static_cast<size_t>(users));
  b.accounts.reserve(static_cast<size_t>(users));
  for (int64_t u = 1; u <= users; ++u) {
    broker::user_profile p;
    p.id = u;
    p.email = "bench" + std::to_string(u) + "@example.com";
    p.password_hash = "$argon2id$v=19$m=8,t=1,p=1$bench$not-a-real-hash";
    p.name = "Bench User " + std::to_string(u);
    p.phone = "+91" + std::to_string(9000000000LL + u);
    p.kyc = broker::kyc_status::verified;
    p.pan = "ABCDE1234F";
    p.date_of_birth = "1990-01-01";
    p.address = "1 Bench Road";
    p.created_at = now;
    b.users.push_back(std::move(p));
    broker::account_row a;
    a.user = u;
    a.cash = 1'000'000'000'000; // 1e12 paise = 1e10 rupees
    b.accounts.push_back(a);
    b.journal.push_back(broker::opening_balance_entry(u, u, a.cash)); // the journal agrees (id: the user's)

  }
  db.commit(b);
}

// Returns commits, or nullopt if the persistence actor did not answer.
std::optional<uint64_t> ask_commits(caf::actor_system& sys, const caf::actor& persistence) {
  caf::scoped_actor self{sys, true}; // hidden: not waited for at shutdown
  std::optional<uint64_t> out;
  // High priority jumps a backlog of commits (CAF-0.17-NOTES: pass a caf::duration).
  self->request<caf::message_priority::high>(persistence, caf::duration{std::chrono::seconds(10)},
                                             caf::get_atom::value)
    .receive([&](uint64_t c) { out = c; }, [&](caf::error&) {});
  return out;
}

// A watchdog for the shutdown: ~actor_system waits for every actor, and an
// actor that never exits would hang the bench. Bounded: report and bail out.
class watchdog {
public:
  watchdog(double seconds, std::string what) : what_(std::move(what)) {
    thread_ = std::thread([this, seconds] {
      std::unique_lock<std::mutex> lock(m_);
      if (!cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; })) {
        std::fprintf(stderr, "order_bench: %s did not finish within %.0f s; giving up\n",
                     what_.c_str(), seconds);
        std::fflush(stdout);
        std::_Exit(3);
      }
    });
  }
  ~watchdog() {
    {
      std::lock_guard<std::mutex> lock(m_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  std::string what_;
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

run_result run_once(const options& o, double rate, const std::string& dir_hint) {
  run_result R;
  R.target_rate = rate;
  R.seconds = o.seconds;
  R.warmup = o.warmup;

  // Data directory.
  std::string dir;
  bool made_temp = false;
  if (dir_hint.empty()) {
    dir = make_temp_dir();
    made_temp = true;
  } else {
    dir = dir_hint;
    fs::create_directories(dir);
    if (fs::exists(dir + "/broker.db"))
      throw std::runtime_error(dir + " already holds broker.db: give an empty or new directory");
  }
  R.data_dir = dir;

  auto instruments_all = broker::load_instruments(o.instruments);
  size_t k = std::min<size_t>(static_cast<size_t>(o.symbols), instruments_all->all().size());
  std::vector<std::string> symbols;
  std::vector<broker::money> prices;
  for (size_t i = 0; i < k; ++i) {
    const auto& inst = instruments_all->all()[i];
    symbols.push_back(inst.symbol);
    // LIMIT BUY at the lower band: inside the band (accepted) and ~20% under
    // the market maker's quotes, so it rests and only holds cash.
    prices.push_back(o.type == broker::order_type::limit ? inst.lower_band() : 0);
  }

  static broker::system_utc_clock utc;
  // Open loop: exactly this many orders. Closed loop: room for them at
  // closed_loop_capacity orders/s; a client past it stops early (and says so).
  const bool closed = o.clients > 0;
  constexpr double closed_loop_capacity = 150'000;
  const uint64_t total = static_cast<uint64_t>(
    std::llround((closed ? closed_loop_capacity : rate) * (o.warmup + o.seconds)));
  R.planned = closed ? 0 : total;
  if (closed)
    R.target_rate = 0; // none: the clients set the pace
  const double period_ns = 1e9 / rate;
  auto sched_ns = [period_ns](uint64_t i) {
    return static_cast<int64_t>(static_cast<double>(i) * period_ns);
  };
  const int64_t window_begin = static_cast<int64_t>(o.warmup * 1e9);
  const int64_t window_end = static_cast<int64_t>((o.warmup + o.seconds) * 1e9);

  auto results = std::make_unique<shared_results>(total);

  broker::sqlite_options db_opts;
  db_opts.synchronous_full = o.sync_full;
  if (o.checkpoint_pages >= 0)
    db_opts.background_checkpoint_pages = o.checkpoint_pages;
  auto seed_start = steady::now();
  std::shared_ptr<broker::store> db;
  std::string pg_database; // created for this run, dropped after it
  if (o.database_url.empty()) {
    db = std::make_shared<broker::sqlite_store>(dir + "/broker.db", db_opts);
  } else {
    static int runs = 0;
    pg_database = "order_bench_" + std::to_string(::getpid()) + "_" + std::to_string(runs++);
    pg_admin(o.database_url, "CREATE DATABASE " + pg_database);
    db = std::make_shared<broker::postgres_store>(o.database_url + "/" + pg_database);
  }
  seed_users(*db, o.users, utc.now());
  R.seed_ms = since(seed_start);

  std::vector<sample> samples;
  std::map<pid_t, thread_sample> threads_at_begin, threads_at_end;
  machine_cpu machine_at_begin, machine_at_end;
  process_io io_at_begin, io_at_end;
  std::set<pid_t> caf_threads, node_threads;
  std::atomic<pid_t> driver_tid{0}, sampler_tid{0};
  std::atomic<bool> sampler_done{false};
  steady::time_point t0;
  std::shared_ptr<broker::sim::order_stage_probe> stage_probe;
  double cpu_before = 0;
  uint64_t count = total; // orders sent

  {
    caf::actor_system_config cfg;
    {
      // Settings go in as an INI text, so CAF parses each value with its own type.
      std::map<std::string, std::vector<std::string>> sections;
      if (o.workers > 0)
        sections["scheduler"].push_back("max-threads=" + std::to_string(o.workers));
      for (auto& kv : o.caf_settings) {
        auto eq = kv.find('=');
        auto dot = kv.rfind('.', eq);
        sections[kv.substr(0, dot)].push_back(kv.substr(dot + 1));
      }
      std::string ini;
      for (auto& [section, lines] : sections) {
        ini += "[" + section + "]\n";
        for (auto& l : lines)
          ini += l + "\n";
      }
      std::istringstream in(ini);
      if (auto err = cfg.parse(caf::actor_system_config::string_list{}, in))
        throw std::runtime_error("CAF settings: " + caf::actor_system_config::render(err) + "\n" + ini);
    }
    // What --workers and --caf left unset is as brokerd runs it, so the
    // bench measures what ships.
    broker::apply_scheduler_defaults(cfg);
    R.worker_sleep_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          caf::get_or(cfg, "work-stealing.moderate-sleep-duration", caf::timespan{}))
                          .count();
    if (o.prefault_mib > 0)
      cfg.add_thread_hook<broker::books_arena_hook>(); // as brokerd
    auto sys_owner = std::make_unique<caf::actor_system>(cfg);
    caf::actor_system& sys = *sys_owner;
    R.workers = static_cast<int>(sys.scheduler().num_workers());
    for (auto& [tid, _] : sample_threads())
      caf_threads.insert(tid);

    auto calendar = std::make_shared<const broker::market_calendar>(broker::calendar_rules{});
    broker::sim::exchange_options ex; // as brokerd: seed 42, requote every 250 ms
    // Limit orders rest, so the exchange ends the run holding all of them.
    // Its maps are sized for that up front: past brokerd's 1M a rehash of
    // the exchange's order maps stalled the exchange actor for ~100 ms (60 s
    // runs). That is the simulator's cost, not the broker's under test.
    ex.expected_working_orders = std::max(
      ex.expected_working_orders, static_cast<size_t>(rate * (o.warmup + o.seconds) * 1.1));
    auto commit_timings = std::make_shared<broker::commit_timings>();
    // Sized for every order placed (ids are node-wide, from 1) and, at worst,
    // two transactions per order (its placement, the exchange's answer).
    stage_probe = std::make_shared<broker::sim::order_stage_probe>(total + 1024, 2 * total + 1024);
    auto node_start = steady::now();
    caf::actor exchange;
    if (o.fix_host.empty()) {
      exchange = broker::sim::spawn_exchange(sys, instruments_all, calendar, &utc, ex);
    } else {
      broker::fix_link_options fix;
      fix.host = o.fix_host;
      fix.port = o.fix_port;
      fix.store_dir = dir + "/fix";
      fix.clock = &utc;
      exchange = broker::spawn_fix_link(sys, fix);
    }
    auto n = std::make_unique<broker::node>(
      sys, db, instruments_all, calendar, utc,
      broker::outside_services{exchange, broker::sim::spawn_kyc_provider(sys, {}),
                               broker::sim::spawn_payment_gateway(sys, {}),
                               {}, // no reopening: a benchmark run ends if its exchange dies
                               o.fix_host.empty() ? "in-process" : "FIX 4.4"},
      [&] {
        broker::node_options no;
        no.users.cost = broker::password_cost::minimum();
        no.persistence.max_batch_rows = o.max_batch_rows;
        no.instrument_actors = o.census;
        no.persistence.timings = commit_timings;
        no.persistence.probe = stage_probe;
        if (o.min_commit_interval_us >= 0)
          no.persistence.min_commit_interval =
            std::chrono::microseconds(static_cast<int64_t>(o.min_commit_interval_us));
        if (o.persistence_nice)
          no.persistence.on_thread_start = [nice = *o.persistence_nice] {
            broker::sim::set_this_thread_nice(nice, "order_bench: persistence");
          };
        return no;
      }());
    // Orders are refused until the link is up (a FIX session logs on first).
    for (auto until = steady::now() + std::chrono::seconds(10); !n->exchange_status().up.load();) {
      if (steady::now() > until)
        throw std::runtime_error("the exchange link did not come up within 10 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    R.node_start_ms = since(node_start);
    for (auto& [tid, _] : sample_threads())
      if (!caf_threads.count(tid))
        node_threads.insert(tid);
    caf::actor persistence = n->persistence();
    cpu_before = cpu_seconds_now();
    // Start a little in the future so both threads are up before order 0 is due.
    t0 = steady::now() + std::chrono::milliseconds(20);

    // Sampler: commits and CPU at every whole second and at the window edges.
    std::vector<double> sample_at;
    for (double s = 0; s <= o.warmup + o.seconds + 1e-9; s += 1)
      sample_at.push_back(s);
    sample_at.push_back(o.warmup);
    sample_at.push_back(o.warmup + o.seconds);
    std::sort(sample_at.begin(), sample_at.end());
    sample_at.erase(std::unique(sample_at.begin(), sample_at.end(),
                                [](double a, double b) { return std::abs(a - b) < 1e-6; }),
                    sample_at.end());
    std::thread sampler([&] {
      pthread_setname_np(pthread_self(), "bench-sampler");
      sampler_tid = current_tid();
      for (double s : sample_at) {
        std::this_thread::sleep_until(t0 + std::chrono::nanoseconds(static_cast<int64_t>(s * 1e9)));
        bool edge_begin = std::abs(s - o.warmup) < 1e-6;
        bool edge_end = std::abs(s - (o.warmup + o.seconds)) < 1e-6;
        if (edge_begin) {
          threads_at_begin = sample_threads();
          machine_at_begin = sample_machine();
          io_at_begin = sample_io();
        }
        sample x;
        x.t_s = std::chrono::duration<double>(steady::now() - t0).count();
        x.cpu_s = cpu_seconds_now() - cpu_before;
        if (auto c = ask_commits(sys, persistence)) {
          x.commits = *c;
          x.commits_ok = true;
        }
        if (edge_end) {
          threads_at_end = sample_threads();
          machine_at_end = sample_machine();
          io_at_end = sample_io();
        }
        samples.push_back(x);
      }
      sampler_done = true;
    });

    // Order i: its send time is recorded, then it goes to the node. In a
    // closed loop its acknowledgement sends that client's next order, until
    // the window ends.
    shared_results* res = results.get();
    const auto side = broker::side::buy;
    const auto closed_until = t0 + std::chrono::nanoseconds(window_end);
    broker::node* node_ptr = n.get();
    std::function<void(uint64_t, steady::time_point)> send_order;
    send_order = [&, res](uint64_t i, steady::time_point now) {
      res->sent[i] = (now - t0).count();
      size_t s = i % symbols.size();
      broker::place_order_request r;
      r.symbol = symbols[s];
      r.side = side;
      r.type = o.type;
      r.validity = broker::validity::day;
      r.quantity = o.quantity;
      r.price = prices[s];
      broker::user_id user = 1 + static_cast<broker::user_id>(i % static_cast<uint64_t>(o.users));
      std::string key = o.idempotency_keys ? "bench-" + std::to_string(i) : std::string{};
      node_ptr->place_order(user, std::move(r), std::move(key),
                            [&, res, i](std::variant<broker::order, broker::rejection> v) {
                              auto now = steady::now();
                              int64_t at = (now - t0).count();
                              if (at <= 0)
                                at = 1;
                              if (auto rej = std::get_if<broker::rejection>(&v)) {
                                if (res->rejected.fetch_add(1) == 0) {
                                  std::lock_guard<std::mutex> lock(res->first_rejection_mutex);
                                  res->first_rejection = std::string(broker::code_of(rej->reason))
                                                         + ": " + rej->message;
                                }
                                at = -at;
                              } else {
                                res->order_id[i] = std::get<broker::order>(v).id;
                              }
                              // The next order is counted sent before this one
                              // completes, so the drain never sees a gap.
                              if (closed && now < closed_until) {
                                uint64_t next = res->next.fetch_add(1);
                                if (next < res->sent.size())
                                  send_order(next, now);
                                else
                                  res->next.fetch_sub(1);
                              }
                              res->ack[i].store(at, std::memory_order_relaxed);
                              res->completed.fetch_add(1, std::memory_order_release);
                            });
    };
    std::thread driver([&, res] {
      pthread_setname_np(pthread_self(), "bench-driver");
      if (o.prefault_mib > 0)
        broker::join_books_arena(); // as brokerd's I/O threads
      driver_tid = current_tid();
      prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); // wake up on time, not up to 50 us late
      if (closed) {
        std::this_thread::sleep_until(t0);
        res->next = static_cast<uint64_t>(o.clients);
        for (uint64_t c = 0; c < res->next; ++c)
          send_order(c, steady::now());
      }
      for (uint64_t i = 0; !closed && i < total; ++i) {
        auto due = t0 + std::chrono::nanoseconds(sched_ns(i));
        auto now = steady::now();
        if (now < due) {
          if (o.spin) {
            while ((now = steady::now()) < due) {
            }
          } else {
            // With a quantum, sleep until the last order due within it; the
            // orders before it are then sent late, and measured so.
            auto wake = due;
            if (o.send_quantum_us > 0) {
              auto quantum = std::chrono::nanoseconds(static_cast<int64_t>(o.send_quantum_us * 1e3));
              for (uint64_t j = i + 1; j < total; ++j) {
                auto next_due = t0 + std::chrono::nanoseconds(sched_ns(j));
                if (next_due - due > quantum)
                  break;
                wake = next_due;
              }
            }
            std::this_thread::sleep_until(wake);
            now = steady::now();
          }
        }
        send_order(i, now);
      }
      // Stay alive until the last thread sample, so the driver shows up in it.
      while (!sampler_done.load())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    driver.join();
    sampler.join();
    count = closed ? res->next.load() : total;
    R.sent = count;
    if (closed && count >= total)
      std::fprintf(stderr, "order_bench: the clients reached the closed loop's room for %" PRIu64
                           " orders and stopped early\n", total);

    // Drain: bounded wait for every ack.
    auto drain_start = steady::now();
    auto drain_deadline = drain_start + std::chrono::duration<double>(o.drain_seconds);
    while (results->completed.load(std::memory_order_acquire) < count
           && steady::now() < drain_deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    R.drain_ms = since(drain_start);
    R.arena_resident = broker::allocator_resident_by_arena();
    R.arena_fallback_maps = broker::books_arena_fallback_maps();
    if (auto c = ask_commits(sys, persistence))
      R.commits_total = static_cast<int64_t>(*c);
    R.commit_time = commit_timings->read();
    R.cpu_total_s = cpu_seconds_now() - cpu_before;

    // Shutdown: the node's destructor sends exits to what it spawned and to
    // the outside services (the exchange re-arms a quote timer and would keep
    // the system alive forever); ~actor_system then waits for the rest
    // (bridge actors still waiting on a reply, account actors). Bounded by a
    // watchdog: a hang is reported, not waited out.
    auto shutdown_start = steady::now();
    {
      watchdog w(std::max(60.0, o.drain_seconds + 30), "actor system shutdown");
      persistence = nullptr;
      exchange = nullptr; // a FIX link is detached: ~actor_system waits until its last handle goes
      n.reset();
      db.reset(); // the persistence actor's state holds the last reference
      sys_owner.reset();
    }
    R.shutdown_ms = since(shutdown_start);
  }

  // ---- analysis (every callback has run or the system is gone) ----------------
  auto& res = *results;
  R.completed = res.completed.load();
  R.rejected = res.rejected.load();
  R.first_rejection = res.first_rejection;
  R.lost = count - std::min<uint64_t>(count, R.completed);
  R.accepted = R.completed - R.rejected;

  std::vector<int64_t> lat, lat_first, lat_last, lag;
  std::vector<broker::sim::order_timeline> timelines;
  double lat_sum = 0;
  uint64_t sent_in_window = 0, acked_in_window = 0;
  const int64_t fifth = (window_end - window_begin) / 5;
  int buckets = static_cast<int>(std::ceil(o.warmup + o.seconds));
  std::vector<std::vector<int64_t>> bucket_lat(static_cast<size_t>(buckets));
  std::vector<uint64_t> bucket_sent(static_cast<size_t>(buckets)),
    bucket_acked(static_cast<size_t>(buckets) + 1);
  constexpr int64_t slot_ns = 10'000'000;
  std::vector<int64_t> slot_max(static_cast<size_t>(buckets) * 100 + 1, 0);
  for (uint64_t i = 0; i < count; ++i) {
    int64_t s = closed ? res.sent[i] : sched_ns(i); // closed loop: an order is due when sent
    int64_t a = res.ack[i].load(std::memory_order_relaxed);
    int64_t sent = res.sent[i];
    if (sent >= window_begin && sent < window_end)
      ++sent_in_window;
    auto sb = static_cast<size_t>(std::min<int64_t>(sent / 1'000'000'000, buckets - 1));
    ++bucket_sent[sb];
    if (a < 0) {
      // A rejection is an answer but not a durable ack: counted apart, and it
      // fails the verdict. (Under overload these are the node's request timeouts.)
      if (s >= window_begin && s < window_end)
        ++R.rejected_in_window;
    } else if (a > 0) {
      int64_t at = a;
      if (at >= window_begin && at < window_end)
        ++acked_in_window;
      auto ab = static_cast<size_t>(std::min<int64_t>(at / 1'000'000'000, buckets));
      ++bucket_acked[ab];
      int64_t l = at - s;
      auto b = static_cast<size_t>(std::min<int64_t>(s / 1'000'000'000, buckets - 1));
      bucket_lat[b].push_back(l);
      auto& worst = slot_max[std::min<size_t>(static_cast<size_t>(s / slot_ns), slot_max.size() - 1)];
      worst = std::max(worst, l);
      if (s >= window_begin && s < window_end) {
        timelines.push_back({s, sent, at, stage_probe->of(res.order_id[i], t0)});
        lat.push_back(l);
        lat_sum += static_cast<double>(l);
        if (s < window_begin + fifth)
          lat_first.push_back(l);
        if (s >= window_end - fifth)
          lat_last.push_back(l);
      }
    }
    if (s >= window_begin && s < window_end) {
      ++R.window_orders;
      lag.push_back(sent - s);
    }
  }
  const double window_s = o.seconds;
  R.send_rate = static_cast<double>(sent_in_window) / window_s;
  R.ack_rate = static_cast<double>(acked_in_window) / window_s;
  std::sort(lat.begin(), lat.end());
  std::sort(lat_first.begin(), lat_first.end());
  std::sort(lat_last.begin(), lat_last.end());
  std::sort(lag.begin(), lag.end());
  R.p50 = ms(percentile(lat, 0.50));
  R.p90 = ms(percentile(lat, 0.90));
  R.p99 = ms(percentile(lat, 0.99));
  R.p999 = ms(percentile(lat, 0.999));
  R.max = lat.empty() ? 0 : ms(lat.back());
  R.mean = lat.empty() ? 0 : lat_sum / static_cast<double>(lat.size()) / 1e6;
  R.p99_first = ms(percentile(lat_first, 0.99));
  R.p99_last = ms(percentile(lat_last, 0.99));
  R.lag_p99 = ms(percentile(lag, 0.99));
  R.lag_max = lag.empty() ? 0 : ms(lag.back());

  R.stages = broker::sim::split_stages(timelines); // where the window's latency went

  // Commits and CPU over the window, from the sampler.
  auto find_sample = [&](double t) -> const sample* {
    const sample* best = nullptr;
    for (auto& x : samples)
      if (!best || std::abs(x.t_s - t) < std::abs(best->t_s - t))
        best = &x;
    return best;
  };
  const sample* sb = find_sample(o.warmup);
  const sample* se = find_sample(o.warmup + o.seconds);
  if (sb && se && sb != se) {
    double span = se->t_s - sb->t_s;
    if (sb->commits_ok && se->commits_ok) {
      R.commits_window = static_cast<int64_t>(se->commits - sb->commits);
      R.commits_per_s = static_cast<double>(R.commits_window) / span;
      if (R.commits_window > 0)
        R.orders_per_commit = static_cast<double>(acked_in_window) / static_cast<double>(R.commits_window);
    }
    R.cpu_window_s = se->cpu_s - sb->cpu_s;
    R.cores_busy = R.cpu_window_s / span;
    if (acked_in_window > 0 && io_at_end.wchar >= io_at_begin.wchar) {
      double n = static_cast<double>(acked_in_window);
      R.write_kib_per_order = static_cast<double>(io_at_end.wchar - io_at_begin.wchar) / 1024 / n;
      R.writes_per_order = static_cast<double>(io_at_end.syscw - io_at_begin.syscw) / n;
      R.reads_per_order = static_cast<double>(io_at_end.syscr - io_at_begin.syscr) / n;
      R.device_kib_per_order = static_cast<double>(io_at_end.write_bytes - io_at_begin.write_bytes) / 1024 / n;
    }
    if (machine_at_end.total > machine_at_begin.total) {
      double ncpu = std::thread::hardware_concurrency();
      R.machine_cores_busy = ncpu * static_cast<double>(machine_at_end.busy - machine_at_begin.busy)
                             / static_cast<double>(machine_at_end.total - machine_at_begin.total);
      R.others_cores_busy = std::max(0.0, R.machine_cores_busy - R.cores_busy);
    }
    if (acked_in_window > 0)
      R.cpu_us_per_order = R.cpu_window_s * 1e6 / static_cast<double>(acked_in_window);
  }

  // Per-thread CPU over the window.
  {
    int detached_seen = 0;
    for (auto& [tid, end] : threads_at_end) {
      auto b = threads_at_begin.find(tid);
      thread_row row;
      row.tid = tid;
      row.cpu_s = end.cpu_s - (b == threads_at_begin.end() ? 0 : b->second.cpu_s);
      row.runq_wait_s = end.runq_wait_s < 0 ? -1
                        : end.runq_wait_s - (b == threads_at_begin.end() ? 0 : b->second.runq_wait_s);
      row.vol_cs = end.vol_cs - (b == threads_at_begin.end() ? 0 : b->second.vol_cs);
      row.invol_cs = end.invol_cs - (b == threads_at_begin.end() ? 0 : b->second.invol_cs);
      if (tid == getpid())
        row.label = "main (waiting)";
      else if (tid == driver_tid.load())
        row.label = "driver (sends, spawns bridges)";
      else if (tid == sampler_tid.load())
        row.label = "sampler";
      else if (end.comm == "caf.multiplexer")
        row.label = "CAF worker";
      else if (end.comm == "caf.clock")
        row.label = "CAF clock (timeouts, delayed_send)";
      else if (caf_threads.count(tid))
        row.label = "CAF (" + end.comm + ")";
      else if (node_threads.count(tid))
        // Spawned by the node's constructor, in order: persistence, then users.
        row.label = ++detached_seen == 1 ? "detached #1 (persistence: SQLite)"
                                         : "detached #" + std::to_string(detached_seen) + " (users)";
      else
        row.label = "other (" + end.comm + ")";
      R.threads.push_back(row);
    }
  }

  R.t0_monotonic_s = std::chrono::duration<double>(t0.time_since_epoch()).count();
  for (size_t i = 0; i < slot_max.size(); ++i) {
    if (slot_max[i] <= slot_ns)
      continue;
    auto from = static_cast<double>(i) * 0.01;
    if (!R.stalls.empty() && R.stalls.back().to_s >= from - 1e-9) {
      R.stalls.back().to_s = from + 0.01;
      R.stalls.back().max_ms = std::max(R.stalls.back().max_ms, ms(slot_max[i]));
    } else {
      R.stalls.push_back({from, from + 0.01, ms(slot_max[i])});
    }
  }
  std::sort(R.stalls.begin(), R.stalls.end(),
            [](auto& a, auto& b) { return a.max_ms > b.max_ms; });
  if (R.stalls.size() > 5)
    R.stalls.resize(5);

  // Timeline by second.
  for (int b = 0; b < buckets; ++b) {
    timeline_row t;
    t.second = b;
    t.sent = bucket_sent[static_cast<size_t>(b)];
    t.acked = bucket_acked[static_cast<size_t>(b)];
    auto& v = bucket_lat[static_cast<size_t>(b)];
    std::sort(v.begin(), v.end());
    t.p50_ms = ms(percentile(v, 0.5));
    t.p99_ms = ms(percentile(v, 0.99));
    t.max_ms = v.empty() ? 0 : ms(v.back());
    const sample *x0 = nullptr, *x1 = nullptr;
    for (auto& x : samples) {
      if (std::abs(x.t_s - b) < 0.25)
        x0 = &x;
      if (std::abs(x.t_s - (b + 1)) < 0.25)
        x1 = &x;
    }
    if (x0 && x1) {
      if (x0->commits_ok && x1->commits_ok)
        t.commits = static_cast<int64_t>(x1->commits - x0->commits);
      t.cores = (x1->cpu_s - x0->cpu_s) / (x1->t_s - x0->t_s);
    }
    R.timeline.push_back(t);
  }

  // Verdict.
  // A closed loop sets its own rate: it keeps up by construction.
  R.throughput_ok = closed || std::abs(R.ack_rate - rate) <= o.tolerance * rate;
  // Bounded: the tail at the end of the window is not running away from the
  // tail at its start (a backlog that grows shows up as a rising p99).
  R.latency_bounded = R.lost == 0 && !lat.empty()
                      && R.p99_last <= std::max(2 * R.p99_first, R.p99_first + 5.0);
  R.kept_up = R.throughput_ok && R.latency_bounded && R.rejected == 0;
  R.under_p99_limit = R.p99 < o.p99_limit_ms;
  if (!R.throughput_ok)
    R.why_not += fmt("acks/s %.0f not within %.0f%% of %.0f; ", R.ack_rate, o.tolerance * 100, rate);
  if (R.rejected)
    R.why_not += fmt("%" PRIu64 " orders rejected; ", R.rejected);
  if (R.lost)
    R.why_not += fmt("%" PRIu64 " acks missing after %.0f s drain; ", R.lost, o.drain_seconds);
  else if (!R.latency_bounded)
    R.why_not += fmt("p99 grew from %.2f ms (first fifth) to %.2f ms (last fifth); ", R.p99_first,
                     R.p99_last);

  if (made_temp && !o.keep) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    R.data_dir_removed = !ec;
  }
  db.reset(); // its connections close before the database is dropped
  if (!pg_database.empty() && !o.keep)
    pg_admin(o.database_url, "DROP DATABASE " + pg_database);
  return R;
}

// ---- output --------------------------------------------------------------------

const char* type_name(const options& o) {
  return o.type == broker::order_type::limit ? "LIMIT BUY at the lower price band (rests)"
                                             : "MARKET BUY (fills against the sim market maker)";
}

void print_header(const options& o, const std::optional<fsync_probe_result>& probe) {
  std::printf("order_bench: place_order -> directory -> account -> persistence (group commit) -> SQLite,\n"
              "             accepted orders forwarded to the simulated exchange (reports written back)\n");
  std::printf("  users %" PRId64 ", symbols %d round robin, %s, qty %" PRId64 ", idempotency keys %s\n",
              o.users, o.symbols, type_name(o), o.quantity, o.idempotency_keys ? "on" : "off");
  if (!o.fix_host.empty())
    std::printf("  exchange: FIX 4.4 to %s:%u (sim-exchange's CPU is not in this process's)\n", o.fix_host.c_str(),
                o.fix_port);
  if (o.database_url.empty())
    std::printf("  SQLite WAL, synchronous=%s; persistence max_batch_rows %zu; driver %s\n",
                o.sync_full ? "FULL (fsync per commit)" : "NORMAL (no fsync per commit)",
                o.max_batch_rows, o.spin ? "spins" : "sleeps (timer slack 1 ns)");
  else
    std::printf("  PostgreSQL at %s (a fresh database per run); persistence max_batch_rows %zu; "
                "driver %s\n",
                o.database_url.c_str(), o.max_batch_rows, o.spin ? "spins" : "sleeps (timer slack 1 ns)");
  if (o.send_quantum_us > 0)
    std::printf("  driver wakes at most every %.0f us and sends all orders due by then\n",
                o.send_quantum_us);
  for (auto& kv : o.caf_settings)
    std::printf("  CAF setting %s\n", kv.c_str());
  std::printf("  %s\n", o.memory_lock.c_str());
  if (o.persistence_nice)
    std::printf("  persistence thread nice %d (brokerd's default: left alone)\n", *o.persistence_nice);
  std::printf("  machine: %u hardware threads, load average at start %s\n",
              std::thread::hardware_concurrency(), [] {
                static char buf[64] = "?";
                if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
                  if (!std::fgets(buf, sizeof buf, f))
                    std::strcpy(buf, "?");
                  std::fclose(f);
                  buf[std::strcspn(buf, "\n")] = '\0';
                }
                return buf;
              }());
  if (probe)
    std::printf("  disk probe (%d x 4 KiB append + fdatasync in the data dir's filesystem): "
                "p50 %.3f ms, p99 %.3f ms, max %.3f ms  => at most ~%.0f fsyncs/s\n",
                probe->n, probe->p50_ms, probe->p99_ms, probe->max_ms,
                probe->mean_ms > 0 ? 1000.0 / probe->mean_ms : 0.0);
  if (o.clients > 0)
    std::printf("  Closed loop: %d clients, each sending its next order when its last is acknowledged;\n"
                "  latency from the send.\n", o.clients);
  else
    std::printf("  Latency is measured from each order's SCHEDULED send time (t0 + i/rate), not the\n"
                "  actual send, so driver stalls and queueing count (no coordinated omission).\n");
}

void print_run(const options& o, const run_result& R) {
  std::printf("\n== run: %s, window %.1f s after %.1f s warmup, %d CAF workers "
              "(idle sleep %lld us%s) ==\n",
              o.clients > 0 ? fmt("closed loop, %d clients", o.clients).c_str()
                            : fmt("target %.0f orders/s", R.target_rate).c_str(),
              R.seconds, R.warmup, R.workers,
              static_cast<long long>(R.worker_sleep_us),
              sets_caf(o, "work-stealing.moderate-sleep-duration") ? ", --caf" : ", brokerd's");
  std::printf("  data dir %s%s\n", R.data_dir.c_str(),
              R.data_dir_removed ? " (removed)" : " (kept)");
  std::printf("  setup: seed %zu users %.0f ms, node start %.0f ms; drain after last send %.0f ms; "
              "shutdown %.0f ms\n",
              static_cast<size_t>(o.users), R.seed_ms, R.node_start_ms, R.drain_ms, R.shutdown_ms);
  if (!R.arena_resident.empty()) {
    std::printf("  allocator arenas resident (MiB):");
    for (size_t b : R.arena_resident)
      std::printf(" %zu", b >> 20);
    std::printf("; mappings beyond the books' reservoir: %zu\n", R.arena_fallback_maps);
  }
  std::printf("  %-34s %14s\n", "metric", "value");
  std::printf("  %-34s %14s\n", "----------------------------------", "--------------");
  auto row = [](const char* name, const std::string& v) { std::printf("  %-34s %14s\n", name, v.c_str()); };
  if (o.clients == 0)
    row("target rate (orders/s)", fmt("%.0f", R.target_rate));
  row("achieved send rate (orders/s)", fmt("%.0f", R.send_rate));
  row("durable acks (acks/s)", fmt("%.0f", R.ack_rate));
  if (o.clients == 0)
    row("acks / target", fmt("%.2f %%", 100.0 * R.ack_rate / R.target_rate));
  row("orders planned / completed", fmt("%" PRIu64 " / %" PRIu64, R.planned, R.completed));
  row("accepted / rejected / missing", fmt("%" PRIu64 " / %" PRIu64 " / %" PRIu64, R.accepted, R.rejected, R.lost));
  std::printf("  -- latency of accepted orders scheduled in the window: scheduled send -> durable ack\n");
  row("latency p50 (ms)", fmt("%.3f", R.p50));
  row("latency p90 (ms)", fmt("%.3f", R.p90));
  row("latency p99 (ms)", fmt("%.3f", R.p99));
  row("latency p99.9 (ms)", fmt("%.3f", R.p999));
  row("latency max (ms)", fmt("%.3f", R.max));
  row("latency mean (ms)", fmt("%.3f", R.mean));
  row("p99 first / last fifth (ms)", fmt("%.2f / %.2f", R.p99_first, R.p99_last));
  row("driver lag p99 / max (ms)", fmt("%.3f / %.3f", R.lag_p99, R.lag_max));
  std::printf("  -- persistence, I/O and CPU\n");
  row("SQLite commits (whole run)", R.commits_total < 0 ? "n/a" : fmt("%" PRId64, R.commits_total));
  row("SQLite commits in window", R.commits_window < 0 ? "n/a" : fmt("%" PRId64, R.commits_window));
  row("commits/s in window", fmt("%.0f", R.commits_per_s));
  row("mean orders per commit", fmt("%.1f", R.orders_per_commit));
  // Wall time of each transaction (the fsync in it): how much of a tail is the disk's.
  row("commit time mean / max (ms)", fmt("%.2f / %.1f", R.commit_time.mean_ms, R.commit_time.max_ms));
  {
    std::string over, counts;
    for (size_t i = 0; i < broker::commit_timings::slow_ms.size(); ++i) {
      over += (i ? "/" : "") + std::to_string(broker::commit_timings::slow_ms[i]);
      counts += (i ? " / " : "") + std::to_string(R.commit_time.slower_than[i]);
    }
    row(("commits over " + over + " ms").c_str(), counts);
  }
  row("written per order (KiB, syscalls)", fmt("%.1f", R.write_kib_per_order));
  row("to the device per order (KiB)", fmt("%.1f", R.device_kib_per_order));
  row("write / read syscalls per order", fmt("%.1f / %.1f", R.writes_per_order, R.reads_per_order));
  row("process CPU, whole run (s)", fmt("%.2f", R.cpu_total_s));
  row("process CPU in window (s)", fmt("%.2f", R.cpu_window_s));
  row("cores busy in window", fmt("%.2f of %u", R.cores_busy, std::thread::hardware_concurrency()));
  row("other processes' cores (noise)",
      R.others_cores_busy < 0 ? "n/a" : fmt("%.2f of %u", R.others_cores_busy, std::thread::hardware_concurrency()));
  row("CPU per order (us)", fmt("%.1f", R.cpu_us_per_order));
  row("kept up", R.kept_up ? "YES" : "NO");
  if (!R.kept_up)
    std::printf("  why not: %s\n", R.why_not.c_str());
  if (R.rejected)
    std::printf("  REJECTIONS: %" PRIu64 ", first: %s\n", R.rejected, R.first_rejection.c_str());
  std::printf("  (kept up = durable acks/s within %.0f%% of the target, none rejected or missing, p99 of the last fifth\n"
              "   of the window <= max(2x, +5 ms) p99 of the first fifth; p99 < %.0f ms: %s)\n",
              o.tolerance * 100, o.p99_limit_ms, R.under_p99_limit ? "yes" : "no");

  if (!R.threads.empty()) {
    std::printf("\n  threads during the window (%.1f s): on-CPU, waiting for a CPU, context switches\n", R.seconds);
    std::printf("  %-36s %8s %7s %9s %9s %9s\n", "thread", "cpu s", "% core", "runq s", "vol cs", "invol cs");
    auto rows = R.threads;
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.cpu_s > b.cpu_s; });
    for (auto& t : rows) {
      if (t.cpu_s < 0.005 && t.vol_cs < 10)
        continue;
      std::printf("  %-36s %8.2f %6.1f%% %9s %9ld %9ld\n", t.label.c_str(), t.cpu_s,
                  100.0 * t.cpu_s / R.seconds, t.runq_wait_s < 0 ? "n/a" : fmt("%.2f", t.runq_wait_s).c_str(),
                  t.vol_cs, t.invol_cs);
    }
  }

  if (R.stages.orders > 0)
    std::printf("\n%s", broker::sim::format_stage_table(R.stages).c_str());

  if (o.timeline && !R.timeline.empty()) {
    std::printf("\n  per second (latency of accepted orders by scheduled second; durable acks by ack time;\n"
                "  window = seconds %.0f..%.0f)\n",
                R.warmup, R.warmup + R.seconds);
    std::printf("  %4s %8s %8s %9s %9s %9s %8s %6s\n", "sec", "sent", "acked", "p50 ms", "p99 ms",
                "max ms", "commits", "cores");
    for (auto& t : R.timeline)
      std::printf("  %4d %8" PRIu64 " %8" PRIu64 " %9.2f %9.2f %9.2f %8s %6.2f\n", t.second, t.sent,
                  t.acked, t.p50_ms, t.p99_ms, t.max_ms,
                  t.commits < 0 ? "?" : std::to_string(t.commits).c_str(), t.cores);
    if (!R.stalls.empty()) {
      std::printf("\n  worst stalls (orders scheduled in [from, to) s waited > 10 ms; t0 = %.6f s "
                  "CLOCK_MONOTONIC)\n",
                  R.t0_monotonic_s);
      for (auto& st : R.stalls)
        std::printf("    %7.2f .. %7.2f s  max %8.2f ms\n", st.from_s, st.to_s, st.max_ms);
    }
  }
  std::fflush(stdout);
}

std::string run_json(const run_result& R) {
  constexpr size_t ten_ms = 1;
  static_assert(broker::commit_timings::slow_ms[ten_ms] == 10);
  std::string json = fmt("{\"target_rate\":%.0f,\"send_rate\":%.1f,\"ack_rate\":%.1f,\"accepted\":%" PRIu64
             ",\"rejected\":%" PRIu64 ",\"rejected_in_window\":%" PRIu64 ",\"missing\":%" PRIu64
             ",\"p50_ms\":%.4f,\"p90_ms\":%.4f,\"p99_ms\":%.4f,\"p999_ms\":%.4f,\"max_ms\":%.4f,"
             "\"mean_ms\":%.4f,\"p99_first_fifth_ms\":%.4f,\"p99_last_fifth_ms\":%.4f,"
             "\"driver_lag_p99_ms\":%.4f,\"commits_total\":%" PRId64 ",\"commits_window\":%" PRId64
             ",\"orders_per_commit\":%.2f,\"cpu_s\":%.3f,\"cpu_window_s\":%.3f,\"cores_busy\":%.3f,"
             "\"cpu_us_per_order\":%.2f,\"others_cores_busy\":%.3f,\"write_kib_per_order\":%.2f,"
             "\"device_kib_per_order\":%.2f,\"write_syscalls_per_order\":%.2f,\"read_syscalls_per_order\":%.2f,\"kept_up\":%s,\"p99_under_limit\":%s,"
             "\"commit_mean_ms\":%.3f,\"commit_max_ms\":%.3f,\"commits_over_10ms\":%llu,"
             "\"first_rejection\":\"%s\"}",
             R.target_rate, R.send_rate, R.ack_rate, R.accepted, R.rejected, R.rejected_in_window, R.lost, R.p50, R.p90,
             R.p99, R.p999, R.max, R.mean, R.p99_first, R.p99_last, R.lag_p99, R.commits_total,
             R.commits_window, R.orders_per_commit, R.cpu_total_s, R.cpu_window_s, R.cores_busy,
             R.cpu_us_per_order, R.others_cores_busy, R.write_kib_per_order, R.device_kib_per_order,
             R.writes_per_order, R.reads_per_order, R.kept_up ? "true" : "false", R.under_p99_limit ? "true" : "false",
             R.commit_time.mean_ms, R.commit_time.max_ms,
             static_cast<unsigned long long>(R.commit_time.slower_than[ten_ms]),
             json_escape(R.first_rejection).c_str());
  json.pop_back(); // the closing brace: the stage split goes inside
  // The window on CLOCK_MONOTONIC, so that another process's CPU (the
  // database's, in sim/compare) can be read over the same interval.
  json += fmt(",\"window_monotonic_s\":[%.6f,%.6f]", R.t0_monotonic_s + R.warmup,
              R.t0_monotonic_s + R.warmup + R.seconds);
  return json + ",\"stages\":" + broker::sim::stage_json(R.stages) + "}";
}

std::string config_json(const options& o) {
  std::string caf = "[";
  for (auto& kv : o.caf_settings)
    caf += (caf.size() > 1 ? ",\"" : "\"") + json_escape(kv) + "\"";
  caf += "]";
  return fmt("\"store\":\"%s\",\"seconds\":%.2f,\"warmup\":%.2f,\"users\":%" PRId64 ",\"symbols\":%d,\"order_type\":\"%s\","
             "\"sync\":\"%s\",\"idempotency_keys\":%s,\"max_batch_rows\":%zu,\"workers\":%d,"
             "\"hardware_threads\":%u",
             o.database_url.empty() ? "sqlite" : "postgres", o.seconds, o.warmup, o.users, o.symbols,
             o.type == broker::order_type::limit ? "limit" : "market", o.sync_full ? "full" : "normal",
             o.idempotency_keys ? "true" : "false", o.max_batch_rows, o.workers,
             std::thread::hardware_concurrency())
         + ",\"caf\":" + caf + ",\"rate\":" + fmt("%.0f", o.clients > 0 ? 0 : o.rate)
         + ",\"clients\":" + std::to_string(o.clients)
         + ",\"exchange\":\"" + (o.fix_host.empty() ? std::string("in-process") : "fix") + "\""
         + ",\"send_quantum_us\":" + fmt("%.0f", o.send_quantum_us) + ",\"persistence_nice\":"
         + (o.persistence_nice ? std::to_string(*o.persistence_nice) : std::string("null"))
         + ",\"memory_locked\":" + (o.memory_lock.rfind("memory locked", 0) == 0 ? "true" : "false");
}

} // namespace

int main(int argc, char** argv) {
  options o = parse_args(argc, argv);
  o.memory_lock = o.lock_memory ? broker::lock_resident_memory().detail
                                : "not locked (--lock-memory locks it)";
  if (o.prefault_mib > 0) {
    auto start = steady::now();
    auto arena = broker::prepare_books_arena(o.prefault_mib << 20);
    if (arena.created)
      o.memory_lock += "; the actors allocate in arena " + std::to_string(arena.index)
                       + (arena.reserved ? " (its reservoir " + std::to_string(arena.reserved >> 20)
                                               + " MiB)" : std::string{})
                       + ", pre-touched " + std::to_string(arena.prefaulted >> 20) + " MiB in "
                       + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          steady::now() - start).count())
                       + " ms";
  }
  try {
    // Disk probe in the filesystem the data will live on.
    std::optional<fsync_probe_result> probe;
    {
      std::string probe_dir = o.data_dir;
      bool temp = false;
      if (probe_dir.empty()) {
        probe_dir = make_temp_dir();
        temp = true;
      } else {
        fs::create_directories(probe_dir);
      }
      probe = probe_fsync(probe_dir, o.fsync_probe);
      if (temp)
        fs::remove_all(probe_dir);
    }
    print_header(o, probe);
    std::string probe_json = probe ? fmt("{\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"mean_ms\":%.4f}",
                                         probe->p50_ms, probe->p99_ms, probe->mean_ms)
                                   : "null";

    if (!o.find_max) {
      run_result R = run_once(o, o.rate, o.data_dir);
      print_run(o, R);
      std::printf("\n%s\n", ("{\"bench\":\"order_bench\",\"mode\":\"single\"," + config_json(o)
                                  + ",\"fsync_probe\":" + probe_json + ",\"result\":" + run_json(R) + "}")
                                   .c_str());
      return 0;
    }

    // --find-max: doubling steps until one fails, then bisect between the last
    // pass and the first fail.
    std::vector<run_result> steps;
    auto step_dir = [&](size_t i) {
      return o.data_dir.empty() ? std::string{} : o.data_dir + "/step-" + std::to_string(i);
    };
    auto passed = [&](const run_result& r) { return r.kept_up && r.under_p99_limit; };
    // One attempt per call; a failing rate is tried again up to --retries
    // times (the machine is shared: one noisy burst should not decide it).
    auto attempt = [&](double rate, int n) {
      std::printf("\n-- find-max step %zu: %.0f orders/s%s --\n", steps.size() + 1, rate,
                  n > 0 ? fmt(" (retry %d)", n).c_str() : "");
      std::fflush(stdout);
      steps.push_back(run_once(o, rate, step_dir(steps.size())));
      auto& r = steps.back();
      std::printf("   acks/s %.0f (%.1f%%), p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms, "
                  "orders/commit %.1f, cores %.2f, others %.2f, rejected %" PRIu64 " => %s\n",
                  r.ack_rate, 100 * r.ack_rate / rate, r.p50, r.p99, r.p999, r.max,
                  r.orders_per_commit, r.cores_busy, r.others_cores_busy, r.rejected,
                  passed(r) ? "PASS"
                            : ("FAIL (" + (r.why_not.empty() ? fmt("p99 >= %.0f ms", o.p99_limit_ms) : r.why_not)
                               + ")").c_str());
      std::fflush(stdout);
      return passed(r);
    };
    auto run_step = [&](double rate) {
      for (int n = 0; n <= o.retries; ++n)
        if (attempt(rate, n))
          return true;
      return false;
    };
    // Up by doubling from --start-rate; if even that fails, down by halving
    // to --min-rate. Then bisect between the last pass and the first fail.
    double last_pass = 0, first_fail = 0;
    if (run_step(o.start_rate)) {
      last_pass = o.start_rate;
      for (double rate = o.start_rate * 2; rate <= o.max_rate; rate *= 2) {
        if (run_step(rate)) {
          last_pass = rate;
        } else {
          first_fail = rate;
          break;
        }
      }
    } else {
      first_fail = o.start_rate;
      for (double rate = o.start_rate / 2; rate >= o.min_rate; rate /= 2) {
        if (run_step(rate)) {
          last_pass = rate;
          break;
        }
        first_fail = rate;
      }
    }
    if (first_fail > 0 && last_pass > 0) {
      double lo = last_pass, hi = first_fail;
      double grain = lo >= 4000 ? 1000 : 100;
      for (int i = 0; i < o.refine; ++i) {
        double mid = std::round((lo + hi) / 2 / grain) * grain;
        if (mid <= lo || mid >= hi)
          break;
        if (run_step(mid))
          lo = mid;
        else
          hi = mid;
      }
      last_pass = lo;
    }

    std::printf("\n== find-max summary (window %.1f s, warmup %.1f s per step; pass = kept up and p99 < %.0f ms) ==\n",
                o.seconds, o.warmup, o.p99_limit_ms);
    std::printf("  %9s %9s %8s %8s %8s %8s %9s %9s %6s %6s %6s  %s\n", "target/s", "acks/s", "p50 ms",
                "p99 ms", "p99.9 ms", "max ms", "ord/cmt", "cmt/s", "cores", "noise", "us/ord", "verdict");
    std::vector<run_result> sorted = steps;
    std::sort(sorted.begin(), sorted.end(),
              [](auto& a, auto& b) { return a.target_rate < b.target_rate; });
    for (auto& r : sorted)
      std::printf("  %9.0f %9.0f %8.2f %8.2f %8.2f %8.2f %9.1f %9.0f %6.2f %6.2f %6.1f  %s\n", r.target_rate,
                  r.ack_rate, r.p50, r.p99, r.p999, r.max, r.orders_per_commit, r.commits_per_s,
                  r.cores_busy, r.others_cores_busy, r.cpu_us_per_order, passed(r) ? "PASS" : "FAIL");
    if (last_pass > 0)
      std::printf("  highest rate that kept up with p99 < %.0f ms: %.0f orders/s\n", o.p99_limit_ms, last_pass);
    else
      std::printf("  no step kept up with p99 < %.0f ms (lowest tried %.0f orders/s)\n", o.p99_limit_ms,
                  sorted.empty() ? o.start_rate : sorted.front().target_rate);
    if (first_fail == 0 && last_pass > 0)
      std::printf("  (every step up to --max-rate passed)\n");
    double max_kept_up_any_p99 = 0;
    for (auto& r : steps)
      if (r.kept_up)
        max_kept_up_any_p99 = std::max(max_kept_up_any_p99, r.target_rate);
    std::printf("  highest rate tried whose acks kept up, whatever its p99: %.0f orders/s\n",
                max_kept_up_any_p99);

    std::string steps_json;
    for (auto& r : steps)
      steps_json += (steps_json.empty() ? "" : ",") + run_json(r);
    std::printf("\n%s\n", ("{\"bench\":\"order_bench\",\"mode\":\"find-max\"," + config_json(o)
                                + ",\"p99_limit_ms\":" + fmt("%.2f", o.p99_limit_ms)
                                + ",\"fsync_probe\":" + probe_json + ",\"max_rate\":"
                                + fmt("%.0f", last_pass) + ",\"max_rate_kept_up_any_p99\":"
                                + fmt("%.0f", max_kept_up_any_p99) + ",\"steps\":[" + steps_json + "]}")
                                 .c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "order_bench: %s\n", e.what());
    return 1;
  }
}
