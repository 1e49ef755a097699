// ws_load: load-tests the live price stream of a running brokerd.
//
// Opens N WebSocket connections to ws://HOST:PORT/v1/ws, subscribes each to K
// symbols (connection i follows symbols (i*K + j) mod S, so the load spreads
// over the whole instrument list), reads every frame and reports, for a
// measured window after a warmup: frames/s, quote updates/s, the age of each
// quote when it arrives (client CLOCK_REALTIME now - the quote's "timestamp"),
// ticks ingested/s from /v1/metrics and, given --server-pid, the server's CPU
// and memory. The last line of stdout is one JSON object with every figure.
//
//   ws_load --port P [--host H] [--connections N] [--symbols-per-connection K]
//           [--seconds S] [--warmup S] [--ramp-per-second R] [--server-pid PID]
//           [--io-threads T] [--mode ltp|quote|full] [--connect-timeout S]
//                                                          (--help lists them)
//
// The server and this client share the machine and its realtime clock, so the
// latency is meaningful; it includes the server's conflation interval (a
// symbol pushes its latest state at most every 100 ms by default) and the
// millisecond resolution of the timestamp. Progress goes to stderr.
//
// The REST reads (/v1/stocks, /v1/metrics) share one kept-alive HTTP
// connection opened before the ramp: a saturated brokerd accepts new
// connections slowly, and a fresh one would queue behind the handshakes.
//
// Each io thread owns its own io_context and the connections started on it, so
// per-connection state and the statistics it writes need no locking; the main
// thread reads the statistics only after the io threads have been joined.
#include <sys/resource.h>
#include <sys/types.h>
#include <csignal>
#include <ctime>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "protocol/clock.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using steady = std::chrono::steady_clock;

// --- options -----------------------------------------------------------------

struct options {
  std::string host = "127.0.0.1";
  int port = 0;
  size_t connections = 1000;
  size_t symbols_per_connection = 20;
  double seconds = 10;
  double warmup = 2;
  double ramp_per_second = 2000;
  long server_pid = 0;
  int io_threads = 1;
  std::string mode = "ltp";
  double connect_timeout = 10;
};

void usage(FILE* out) {
  std::fprintf(out,
               "usage: ws_load --port P [options]\n"
               "Measures brokerd's live price stream over many WebSocket connections.\n"
               "  --host H                    server address (default 127.0.0.1)\n"
               "  --port P                    server port (required)\n"
               "  --connections N             WebSocket connections to open (default 1000)\n"
               "  --symbols-per-connection K  symbols each connection subscribes to (default 20)\n"
               "  --seconds S                 measured window (default 10)\n"
               "  --warmup S                  unmeasured time after connecting (default 2)\n"
               "  --ramp-per-second R         new connections per second (default 2000)\n"
               "  --server-pid PID            report this process's CPU and RSS (default 0: skip)\n"
               "  --io-threads T              client io threads (default 1)\n"
               "  --mode M                    ltp | quote | full, sent with the subscription "
               "(default ltp)\n"
               "  --connect-timeout S         limit on TCP connect and, separately, on the\n"
               "                              WebSocket handshake (default 10)\n"
               "  --help                      this text\n");
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "ws_load: %s\n", why.c_str());
  std::exit(2);
}

double parse_number(const std::string& flag, const std::string& text, double min) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno != 0 || !std::isfinite(v) || v < min)
    die("bad value for " + flag + ": '" + text + "'");
  return v;
}

size_t parse_count(const std::string& flag, const std::string& text, size_t min) {
  double v = parse_number(flag, text, double(min));
  if (v != std::floor(v) || v > 1e12)
    die("bad value for " + flag + ": '" + text + "' (a whole number is needed)");
  return size_t(v);
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      usage(stdout);
      std::exit(0);
    }
    std::string value;
    if (auto eq = flag.find('='); eq != std::string::npos && flag.rfind("--", 0) == 0) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      usage(stderr);
      die("missing value for " + flag);
    }
    if (flag == "--host")
      o.host = value;
    else if (flag == "--port")
      o.port = int(parse_count(flag, value, 1));
    else if (flag == "--connections")
      o.connections = parse_count(flag, value, 1);
    else if (flag == "--symbols-per-connection")
      o.symbols_per_connection = parse_count(flag, value, 1);
    else if (flag == "--seconds")
      o.seconds = parse_number(flag, value, 0.1);
    else if (flag == "--warmup")
      o.warmup = parse_number(flag, value, 0);
    else if (flag == "--ramp-per-second")
      o.ramp_per_second = parse_number(flag, value, 1);
    else if (flag == "--server-pid")
      o.server_pid = long(parse_count(flag, value, 0));
    else if (flag == "--io-threads")
      o.io_threads = int(parse_count(flag, value, 1));
    else if (flag == "--mode")
      o.mode = value;
    else if (flag == "--connect-timeout")
      o.connect_timeout = parse_number(flag, value, 0.1);
    else {
      usage(stderr);
      die("unknown option " + flag);
    }
  }
  if (o.port <= 0 || o.port > 65535) {
    usage(stderr);
    die("--port is required (1..65535)");
  }
  if (o.mode != "ltp" && o.mode != "quote" && o.mode != "full")
    die("--mode must be ltp, quote or full");
  if (o.io_threads > 64)
    die("--io-threads at most 64");
  return o;
}

// --- latency histogram -------------------------------------------------------

// Fixed log-spaced buckets, 40 per decade from 1 us to 100 s (bucket width
// ~6%), plus one below and one above: constant memory whatever the count.
class latency_histogram {
public:
  static constexpr int per_decade = 40;
  static constexpr int decades = 8; // 1e3 ns .. 1e11 ns
  static constexpr int buckets = per_decade * decades + 2;

  void record(int64_t ns) {
    ++counts_[index(ns)];
    ++count_;
    max_ = std::max(max_, ns);
    min_ = std::min(min_, ns);
  }

  void merge(const latency_histogram& o) {
    for (int i = 0; i < buckets; ++i)
      counts_[i] += o.counts_[i];
    count_ += o.count_;
    max_ = std::max(max_, o.max_);
    min_ = std::min(min_, o.min_);
  }

  uint64_t count() const { return count_; }
  int64_t max() const { return max_; }
  int64_t min() const { return min_; }

  // The upper edge of the bucket holding the q-quantile, clamped to what was
  // actually seen (so p100 is the exact max).
  std::optional<int64_t> quantile(double q) const {
    if (count_ == 0)
      return std::nullopt;
    auto rank = uint64_t(std::ceil(q * double(count_)));
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (int i = 0; i < buckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        if (i == buckets - 1)
          return max_;
        auto edge = int64_t(std::llround(1000.0 * std::pow(10.0, double(i) / per_decade)));
        return std::clamp(edge, min_, max_);
      }
    }
    return max_;
  }

private:
  static int index(int64_t ns) {
    if (ns < 1000)
      return 0; // includes negative ages (clock steps)
    int i = 1 + int(std::log10(double(ns) / 1000.0) * per_decade);
    return std::min(i, buckets - 1);
  }

  std::array<uint64_t, buckets> counts_{};
  uint64_t count_ = 0;
  int64_t max_ = INT64_MIN;
  int64_t min_ = INT64_MAX;
};

// --- shared state -------------------------------------------------------------

enum phase : int { phase_warmup = 0, phase_window = 1, phase_done = 2 };
std::atomic<int> g_phase{phase_warmup};

// Low-rate events the main thread watches while ramping.
std::atomic<uint64_t> g_connected{0};
std::atomic<uint64_t> g_failed{0};
std::atomic<uint64_t> g_acked{0};       // connections whose subscribe ack arrived
std::atomic<uint64_t> g_error_frames{0}; // whole run
std::atomic<int64_t> g_live{0};          // connection objects alive

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * broker::ns_per_second + ts.tv_nsec;
}

// Counted only while g_phase == phase_window.
struct window_stats {
  uint64_t quote_frames = 0;
  uint64_t other_frames = 0;
  uint64_t bytes = 0;
  uint64_t updates = 0;
  uint64_t null_timestamps = 0;
  uint64_t bad_timestamps = 0;
  latency_histogram latency;

  void merge(const window_stats& o) {
    quote_frames += o.quote_frames;
    other_frames += o.other_frames;
    bytes += o.bytes;
    updates += o.updates;
    null_timestamps += o.null_timestamps;
    bad_timestamps += o.bad_timestamps;
    latency.merge(o.latency);
  }
};

class connection;

// One io thread: its io_context, the connections it runs and what they saw.
// Everything but `io` is touched only by that thread until it is joined.
struct io_worker {
  net::io_context io{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
  std::thread thread;
  std::vector<std::weak_ptr<connection>> connections;
  window_stats window;
  latency_histogram handshake; // TCP connect start -> 101 Switching Protocols
  std::array<uint64_t, 3> closed_by_server{}; // per phase
  std::array<uint64_t, 3> dropped{};          // ended without a close frame, per phase
  std::map<std::string, uint64_t> close_reasons;
  std::map<std::string, uint64_t> drop_reasons;
  std::map<std::string, uint64_t> connect_errors;
};

struct target {
  tcp::endpoint endpoint;
  std::string host_header; // "host:port"
  std::chrono::milliseconds connect_timeout{10000};
};

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count();
}

// --- one WebSocket connection ------------------------------------------------

class connection : public std::enable_shared_from_this<connection> {
public:
  connection(io_worker& w, const target& t, std::string subscribe)
      : worker_(w), target_(t), ws_(w.io), subscribe_(std::move(subscribe)) {
    g_live.fetch_add(1, std::memory_order_relaxed);
  }
  ~connection() { g_live.fetch_sub(1, std::memory_order_relaxed); }

  void start() {
    started_ns_ = steady_ns();
    beast::get_lowest_layer(ws_).expires_after(target_.connect_timeout);
    beast::get_lowest_layer(ws_).async_connect(
      target_.endpoint, [self = shared_from_this()](error_code ec) { self->on_connect(ec); });
  }

  // Ends the connection politely: a close frame if open, else drop the socket.
  void close() {
    closing_ = true;
    if (!open_) {
      beast::get_lowest_layer(ws_).close();
      return;
    }
    ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](error_code) {});
  }

private:
  void fail_connect(const char* step, error_code ec) {
    ++worker_.connect_errors[std::string(step) + ": " + ec.message()];
    g_failed.fetch_add(1, std::memory_order_relaxed);
  }

  void on_connect(error_code ec) {
    if (ec)
      return fail_connect("connect", ec);
    if (closing_)
      return;
    // From here the websocket's own timeouts apply; the tcp_stream's must be off.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t = websocket::stream_base::timeout::suggested(beast::role_type::client);
    t.handshake_timeout = target_.connect_timeout; // also bounds our close handshake
    ws_.set_option(t);
    ws_.read_message_max(16 * 1024 * 1024);
    ws_.async_handshake(target_.host_header, "/v1/ws",
                        [self = shared_from_this()](error_code ec) { self->on_handshake(ec); });
  }

  void on_handshake(error_code ec) {
    if (ec)
      return fail_connect("handshake", ec);
    open_ = true;
    worker_.handshake.record(steady_ns() - started_ns_);
    g_connected.fetch_add(1, std::memory_order_relaxed);
    if (closing_)
      return close();
    ws_.text(true);
    ws_.async_write(net::buffer(subscribe_), [self = shared_from_this()](error_code ec, size_t) {
      if (ec && !self->closing_)
        ++self->worker_.drop_reasons["subscribe write: " + ec.message()];
      std::string().swap(self->subscribe_); // sent: give the memory back
    });
    do_read(); // a read may run alongside the write
  }

  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, size_t n) { self->on_read(ec, n); });
  }

  void on_read(error_code ec, size_t n) {
    if (ec) {
      open_ = false;
      if (closing_)
        return; // we asked for it
      int ph = g_phase.load(std::memory_order_relaxed);
      if (ec == websocket::error::closed) {
        ++worker_.closed_by_server[ph];
        const auto& r = ws_.reason();
        ++worker_.close_reasons[std::to_string(r.code) + " " + std::string(r.reason.data(), r.reason.size())];
      } else {
        ++worker_.dropped[ph];
        ++worker_.drop_reasons[ec.message()];
      }
      return;
    }
    auto data = buffer_.data();
    on_frame(std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer_.consume(n);
    do_read();
  }

  void on_frame(std::string_view text) {
    const bool measuring = g_phase.load(std::memory_order_relaxed) == phase_window;
    auto& st = worker_.window;
    // Quote frames start {"channel":"quotes",...; look only near the front.
    if (text.substr(0, 48).find("\"channel\":\"quotes\"") == std::string_view::npos) {
      on_other_frame(text);
      if (measuring) {
        ++st.other_frames;
        st.bytes += text.size();
      }
      return;
    }
    if (!measuring)
      return;
    ++st.quote_frames;
    st.bytes += text.size();
    const int64_t now = realtime_ns(); // every quote in the frame arrived together
    static constexpr std::string_view symbol_key = "\"symbol\":";
    static constexpr std::string_view time_key = "\"timestamp\":";
    for (size_t p = text.find(symbol_key); p != std::string_view::npos;
         p = text.find(symbol_key, p + symbol_key.size()))
      ++st.updates;
    for (size_t p = text.find(time_key); p != std::string_view::npos; p = text.find(time_key, p)) {
      p += time_key.size();
      if (p >= text.size() || text[p] != '"') {
        ++st.null_timestamps; // "timestamp":null: no tick yet
        continue;
      }
      size_t end = text.find('"', p + 1);
      if (end == std::string_view::npos) {
        ++st.bad_timestamps;
        break;
      }
      auto ts = broker::parse_iso_time(text.substr(p + 1, end - p - 1));
      if (ts)
        st.latency.record(now - *ts);
      else
        ++st.bad_timestamps;
      p = end + 1;
    }
  }

  void on_other_frame(std::string_view text) {
    if (text.find("\"type\":\"error\"") != std::string_view::npos) {
      if (g_error_frames.fetch_add(1, std::memory_order_relaxed) < 5)
        std::fprintf(stderr, "ws_load: error frame: %.*s\n", int(std::min<size_t>(text.size(), 400)),
                     text.data());
    } else if (!acked_ && text.find("\"type\":\"subscribe\"") != std::string_view::npos) {
      acked_ = true;
      g_acked.fetch_add(1, std::memory_order_relaxed);
    }
  }

  io_worker& worker_;
  const target& target_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_; // reused for every frame of this connection
  std::string subscribe_;     // the subscribe frame, freed once written
  int64_t started_ns_ = 0;
  bool open_ = false;
  bool closing_ = false;
  bool acked_ = false;
};

// --- HTTP, /proc and rusage helpers --------------------------------------------

struct http_answer {
  unsigned status = 0;
  std::string body;
};

// Blocking HTTP/1.1 GETs over one kept-alive connection, opened before the
// WebSocket ramp: a loaded brokerd accepts slowly, and a fresh connection
// would wait behind every pending WebSocket handshake in the accept queue.
// Async operations run to completion on a private io_context, because
// tcp_stream's timeouts apply only to async operations.
class http_client {
public:
  explicit http_client(const target& t) : target_(t) {}

  std::optional<http_answer> get(const std::string& path, std::chrono::seconds timeout, std::string* why) {
    // A kept connection the server has since closed fails at once: try again
    // on a fresh one.
    std::optional<http_answer> answer;
    for (int attempt = 0; attempt < 2 && !answer; ++attempt) {
      const bool reused = stream_.has_value();
      answer = try_get(path, timeout, why);
      if (!answer) {
        stream_.reset();
        buffer_.clear(); // whatever a half-read answer left
      }
      if (!reused)
        break;
    }
    last_used_ = steady::now();
    return answer;
  }

  // Sleeps until `until`, meanwhile sending a request every 20 s so the
  // server's idle timeout (60 s by default) does not close the connection
  // during a long ramp or warmup.
  void sleep_until(steady::time_point until) {
    for (;;) {
      const auto ping_at = last_used_ + std::chrono::seconds(20);
      if (until <= ping_at) {
        std::this_thread::sleep_until(until);
        return;
      }
      std::this_thread::sleep_until(ping_at);
      get("/v1/metrics", std::chrono::seconds(30), nullptr); // any answer will do
    }
  }

private:
  std::optional<http_answer> try_get(const std::string& path, std::chrono::seconds timeout, std::string* why) {
    error_code ec;
    auto done = [&ec](error_code e, auto&&...) { ec = e; };
    auto finish = [&](const char* step) {
      io_.restart();
      io_.run();
      if (ec && why)
        *why = std::string(step) + ": " + ec.message();
      return !ec;
    };
    if (!stream_) {
      stream_.emplace(io_);
      stream_->expires_after(timeout);
      stream_->async_connect(target_.endpoint, done);
      if (!finish("connect"))
        return std::nullopt;
    }
    http::request<http::empty_body> req{http::verb::get, path, 11};
    req.set(http::field::host, target_.host_header);
    req.set(http::field::user_agent, "ws_load");
    req.keep_alive(true);
    stream_->expires_after(timeout);
    http::async_write(*stream_, req, done);
    if (!finish("write"))
      return std::nullopt;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::async_read(*stream_, buffer_, parser, done);
    if (!finish("read"))
      return std::nullopt;
    stream_->expires_never();
    http_answer answer{parser.get().result_int(), std::move(parser.get().body())};
    if (!parser.get().keep_alive()) {
      stream_.reset();
      buffer_.clear();
    }
    return answer;
  }

  const target& target_;
  net::io_context io_;
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  steady::time_point last_used_ = steady::now();
};

// The "symbol" values of {"stocks":[{"symbol":"RELIANCE",...},...]}, in order.
// The listing's symbols are plain upper-case names, so no unescaping is needed.
std::vector<std::string> parse_symbols(std::string_view body) {
  std::vector<std::string> out;
  static constexpr std::string_view key = "\"symbol\":\"";
  for (size_t p = body.find(key); p != std::string_view::npos; p = body.find(key, p)) {
    p += key.size();
    size_t end = body.find('"', p);
    if (end == std::string_view::npos)
      break;
    out.emplace_back(body.substr(p, end - p));
    p = end;
  }
  return out;
}

struct metrics {
  std::optional<double> ticks_ingested;
  std::optional<double> quote_pushes;
  steady::time_point at; // the middle of the request, for the rate's time base
  double took_s = 0;      // how long the server took to answer
};

// Reads `name value` lines of the Prometheus text format (no labels).
std::optional<double> metric_value(std::string_view text, std::string_view name) {
  size_t line = 0;
  while (line < text.size()) {
    size_t eol = text.find('\n', line);
    if (eol == std::string_view::npos)
      eol = text.size();
    std::string_view l = text.substr(line, eol - line);
    line = eol + 1;
    if (l.size() > name.size() && l.substr(0, name.size()) == name && l[name.size()] == ' ') {
      std::string v(l.substr(name.size() + 1));
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (end != v.c_str())
        return d;
    }
  }
  return std::nullopt;
}

metrics read_metrics(http_client& http) {
  metrics m;
  const auto sent = steady::now();
  auto answer = http.get("/v1/metrics", std::chrono::seconds(30), nullptr);
  const auto answered = steady::now();
  m.at = sent + (answered - sent) / 2;
  m.took_s = std::chrono::duration<double>(answered - sent).count();
  if (!answer || answer->status != 200)
    return m; // not there (404) or unreachable: unknown
  m.ticks_ingested = metric_value(answer->body, "broker_ticks_ingested_total");
  m.quote_pushes = metric_value(answer->body, "broker_quote_pushes_total");
  return m;
}

// utime + stime of a process in seconds, from /proc/PID/stat.
std::optional<double> process_cpu_seconds(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = all.rfind(')'); // the command name may hold spaces and parentheses
  if (paren == std::string::npos)
    return std::nullopt;
  std::istringstream fields(all.substr(paren + 1));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  // After ")" come fields 3 (state) .. ; utime is field 14, stime field 15.
  for (int field = 3; field <= 15 && (fields >> f); ++field) {
    if (field == 14)
      utime = std::strtoull(f.c_str(), nullptr, 10);
    if (field == 15) {
      stime = std::strtoull(f.c_str(), nullptr, 10);
      return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
    }
  }
  return std::nullopt;
}

std::optional<double> process_rss_kib(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return double(std::strtoull(line.c_str() + 6, nullptr, 10));
  return std::nullopt;
}

long own_max_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss; // KiB on Linux
}

double own_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

// Many sockets need many descriptors: take everything the hard limit allows.
rlim_t raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

std::string subscribe_frame(const std::vector<std::string>& symbols, size_t index, size_t k,
                            const std::string& mode) {
  std::string s = "{\"action\":\"subscribe\",\"symbols\":[";
  for (size_t j = 0; j < k; ++j) {
    if (j > 0)
      s += ',';
    s += '"';
    s += symbols[(index * k + j) % symbols.size()];
    s += '"';
  }
  s += "],\"mode\":\"" + mode + "\"}";
  return s;
}

// --- output ----------------------------------------------------------------------

std::string json_number(std::optional<double> v, int decimals) {
  if (!v || !std::isfinite(*v))
    return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, *v);
  return buf;
}

std::string text_number(std::optional<double> v, int decimals, const char* unit = "") {
  if (!v || !std::isfinite(*v))
    return "n/a";
  return json_number(v, decimals) + unit;
}

std::optional<double> ms(std::optional<int64_t> ns) {
  if (!ns)
    return std::nullopt;
  return double(*ns) / 1e6;
}

std::optional<double> minus(std::optional<double> a, std::optional<double> b) {
  if (!a || !b)
    return std::nullopt;
  return *a - *b;
}

std::optional<double> per(std::optional<double> a, double b) {
  if (!a || b <= 0)
    return std::nullopt;
  return *a / b;
}

void print_counts(const char* title, const std::map<std::string, uint64_t>& counts) {
  for (const auto& [what, n] : counts)
    std::printf("  %-30s %" PRIu64 "  %s\n", title, n, what.c_str());
}

} // namespace

int main(int argc, char** argv) {
  const options opt = parse_options(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);

  const rlim_t fd_limit = raise_fd_limit();
  if (fd_limit != 0 && fd_limit < opt.connections + 64)
    std::fprintf(stderr, "ws_load: warning: only %llu file descriptors allowed for %zu connections\n",
                 (unsigned long long)fd_limit, opt.connections);

  target tgt;
  try {
    net::io_context io;
    tcp::resolver resolver(io);
    auto results = resolver.resolve(opt.host, std::to_string(opt.port));
    if (results.empty())
      die("cannot resolve " + opt.host);
    tgt.endpoint = results.begin()->endpoint();
  } catch (const std::exception& e) {
    die("cannot resolve " + opt.host + ": " + e.what());
  }
  tgt.host_header = opt.host + ":" + std::to_string(opt.port);
  tgt.connect_timeout = std::chrono::milliseconds(int64_t(opt.connect_timeout * 1000));

  // 1. The instrument list.
  std::string why;
  http_client http(tgt);
  auto stocks = http.get("/v1/stocks?limit=500", std::chrono::seconds(30), &why);
  if (!stocks)
    die("GET /v1/stocks failed: " + why);
  if (stocks->status != 200)
    die("GET /v1/stocks answered " + std::to_string(stocks->status) + ": " + stocks->body.substr(0, 200));
  const std::vector<std::string> symbols = parse_symbols(stocks->body);
  if (symbols.empty())
    die("GET /v1/stocks listed no symbols");
  size_t k = opt.symbols_per_connection;
  if (k > symbols.size()) {
    std::fprintf(stderr, "ws_load: only %zu symbols listed; each connection takes all of them\n",
                 symbols.size());
    k = symbols.size();
  }

  const bool with_server = opt.server_pid > 0;
  std::optional<double> rss_before;
  if (with_server) {
    // The lowest of a few samples: a just-started brokerd briefly holds tens of
    // MB more than it settles at, which would swamp the per-connection figure.
    for (int i = 0; i < 6; ++i) {
      if (i > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      auto rss = process_rss_kib(opt.server_pid);
      if (!rss)
        die("cannot read /proc/" + std::to_string(opt.server_pid) + "/status");
      rss_before = rss_before ? std::min(*rss_before, *rss) : *rss;
    }
  }

  // 2. The io threads.
  std::vector<std::unique_ptr<io_worker>> workers;
  for (int i = 0; i < opt.io_threads; ++i) {
    auto w = std::make_unique<io_worker>();
    w->guard.emplace(net::make_work_guard(w->io));
    w->connections.reserve(opt.connections / size_t(opt.io_threads) + 1);
    workers.push_back(std::move(w));
  }
  for (auto& w : workers)
    w->thread = std::thread([&io = w->io] { io.run(); });

  // 3. Ramp the connections up at a steady rate so the server's accept loop is not flooded.
  std::fprintf(stderr, "ws_load: %zu symbols; opening %zu connections x %zu symbols at %.0f/s\n",
               symbols.size(), opt.connections, k, opt.ramp_per_second);
  const auto ramp_start = steady::now();
  auto last_report = ramp_start;
  for (size_t i = 0; i < opt.connections; ++i) {
    auto due = ramp_start + std::chrono::nanoseconds(int64_t(double(i) * 1e9 / opt.ramp_per_second));
    http.sleep_until(due);
    io_worker& w = *workers[i % workers.size()];
    net::post(w.io, [&w, &tgt, frame = subscribe_frame(symbols, i, k, opt.mode)]() mutable {
      auto c = std::make_shared<connection>(w, tgt, std::move(frame));
      w.connections.push_back(c);
      c->start();
    });
    if (steady::now() - last_report >= std::chrono::seconds(1)) {
      last_report = steady::now();
      std::fprintf(stderr, "ws_load:   %zu started, %" PRIu64 " open, %" PRIu64 " failed\n", i + 1,
                   g_connected.load(), g_failed.load());
    }
  }
  // Every attempt ends within the connect + handshake timeouts.
  const auto give_up = steady::now() + 2 * tgt.connect_timeout + std::chrono::seconds(5);
  while (g_connected.load() + g_failed.load() < opt.connections && steady::now() < give_up)
    http.sleep_until(steady::now() + std::chrono::milliseconds(20));
  const double ramp_s = std::chrono::duration<double>(steady::now() - ramp_start).count();
  std::fprintf(stderr,
               "ws_load: %" PRIu64 " open, %" PRIu64 " failed after %.2f s; %" PRIu64
               " subscribe acks so far; warming up %.1f s\n",
               g_connected.load(), g_failed.load(), ramp_s, g_acked.load(), opt.warmup);

  // 4. Warmup, then the measured window.
  http.sleep_until(steady::now() + std::chrono::duration_cast<steady::duration>(
                                       std::chrono::duration<double>(opt.warmup)));
  const metrics m0 = read_metrics(http);
  const auto cpu0 = with_server ? process_cpu_seconds(opt.server_pid) : std::nullopt;
  const double own0 = own_cpu_seconds();
  const auto t0 = steady::now();
  g_phase.store(phase_window);
  std::fprintf(stderr, "ws_load: measuring %.1f s\n", opt.seconds);
  http.sleep_until(steady::now() + std::chrono::duration_cast<steady::duration>(
                                       std::chrono::duration<double>(opt.seconds)));
  g_phase.store(phase_done);
  const auto t1 = steady::now();
  const double own1 = own_cpu_seconds();
  const auto cpu1 = with_server ? process_cpu_seconds(opt.server_pid) : std::nullopt;
  std::optional<double> rss_end;
  if (with_server)
    rss_end = process_rss_kib(opt.server_pid);
  const metrics m1 = read_metrics(http);
  const double window_s = std::chrono::duration<double>(t1 - t0).count();
  const uint64_t acked = g_acked.load();

  // 5. Close everything with close frames, then stop the io threads.
  for (auto& w : workers) {
    net::post(w->io, [&w = *w] {
      for (auto& weak : w.connections)
        if (auto c = weak.lock())
          c->close();
      w.connections.clear();
    });
    w->guard.reset();
  }
  const auto close_deadline = steady::now() + std::chrono::seconds(5);
  while (g_live.load() > 0 && steady::now() < close_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (auto& w : workers) {
    if (g_live.load() > 0)
      w->io.stop(); // stragglers: their sockets close as the io_context goes
    w->thread.join();
  }

  // 6. Gather the per-thread figures.
  window_stats win;
  latency_histogram handshake;
  uint64_t closed_before_end = 0, closed_in_window = 0, dropped_before_end = 0, dropped_in_window = 0;
  std::map<std::string, uint64_t> close_reasons, drop_reasons, connect_errors;
  for (auto& w : workers) {
    win.merge(w->window);
    handshake.merge(w->handshake);
    closed_before_end += w->closed_by_server[phase_warmup] + w->closed_by_server[phase_window];
    closed_in_window += w->closed_by_server[phase_window];
    dropped_before_end += w->dropped[phase_warmup] + w->dropped[phase_window];
    dropped_in_window += w->dropped[phase_window];
    for (auto& [r, n] : w->close_reasons)
      close_reasons[r] += n;
    for (auto& [r, n] : w->drop_reasons)
      drop_reasons[r] += n;
    for (auto& [r, n] : w->connect_errors)
      connect_errors[r] += n;
  }
  const uint64_t connected = g_connected.load();
  const uint64_t failed = opt.connections - connected;
  const uint64_t open_at_end = connected - std::min(connected, closed_before_end + dropped_before_end);
  const uint64_t closed_by_server = closed_before_end; // before the window ended

  const double frames = double(win.quote_frames + win.other_frames);
  const double frames_per_s = frames / window_s;
  const double updates_per_s = double(win.updates) / window_s;
  const auto updates_per_frame =
    win.quote_frames ? std::optional<double>(double(win.updates) / double(win.quote_frames)) : std::nullopt;
  const auto per_subscription = open_at_end ? std::optional<double>(updates_per_s / double(open_at_end * k))
                                            : std::nullopt;
  // A loaded server may answer slowly: time the counters by when they were read.
  const double metrics_s = std::chrono::duration<double>(m1.at - m0.at).count();
  const auto ticks_per_s = per(minus(m1.ticks_ingested, m0.ticks_ingested), metrics_s);
  const auto pushes_per_s = per(minus(m1.quote_pushes, m0.quote_pushes), metrics_s);
  const auto server_cpu = minus(cpu1, cpu0);
  const auto server_cores = per(server_cpu, window_s);
  std::optional<double> rss_per_conn;
  if (open_at_end > 0)
    rss_per_conn = per(minus(rss_end, rss_before), double(open_at_end) / 1024.0);
  const double client_cpu = own1 - own0;
  const auto p50 = ms(win.latency.quantile(0.50));
  const auto p90 = ms(win.latency.quantile(0.90));
  const auto p99 = ms(win.latency.quantile(0.99));
  const auto p999 = ms(win.latency.quantile(0.999));
  const auto pmax = win.latency.count() ? ms(win.latency.max()) : std::nullopt;
  const auto hs50 = ms(handshake.quantile(0.50));
  const auto hs99 = ms(handshake.quantile(0.99));
  const auto hsmax = handshake.count() ? ms(handshake.max()) : std::nullopt;

  // 7. Report.
  std::printf("ws_load: %s:%d, %zu symbols listed, mode %s, %d io thread(s)\n", opt.host.c_str(), opt.port,
              symbols.size(), opt.mode.c_str(), opt.io_threads);
  std::printf("  %-30s %zu x %zu symbols\n", "connections requested", opt.connections, k);
  std::printf("  %-30s %" PRIu64 " (failed %" PRIu64 ", ramp %.2f s)\n", "connections established", connected,
              failed, ramp_s);
  std::printf("  %-30s p50 %s  p99 %s  max %s ms\n", "connect + handshake time", text_number(hs50, 2).c_str(),
              text_number(hs99, 2).c_str(), text_number(hsmax, 2).c_str());
  std::printf("  %-30s %" PRIu64 "\n", "connections open at end", open_at_end);
  std::printf("  %-30s %" PRIu64 " (%" PRIu64 " in window)\n", "closed by server", closed_by_server,
              closed_in_window);
  std::printf("  %-30s %" PRIu64 " (%" PRIu64 " in window)\n", "dropped without close frame",
              dropped_before_end, dropped_in_window);
  print_counts("  connect failure", connect_errors);
  print_counts("  close code/reason", close_reasons);
  print_counts("  drop reason", drop_reasons);
  std::printf("  %-30s %" PRIu64 " (error frames: %" PRIu64 ")\n", "subscribe acks", acked,
              g_error_frames.load());
  std::printf("  %-30s %.2f s (after %.1f s warmup)\n", "window", window_s, opt.warmup);
  std::printf("  %-30s %.0f (%" PRIu64 " quote, %" PRIu64 " other), %.1f MB/s\n", "frames/s", frames_per_s,
              win.quote_frames, win.other_frames, double(win.bytes) / window_s / 1e6);
  std::printf("  %-30s %.0f (%s per frame)\n", "updates/s", updates_per_s,
              text_number(updates_per_frame, 2).c_str());
  std::printf("  %-30s %s (at most 1000/conflation-ms: 10 at the default 100 ms)\n",
              "updates/s per subscription", text_number(per_subscription, 2).c_str());
  std::printf("  %-30s p50 %s  p90 %s  p99 %s  p99.9 %s  max %s ms\n", "quote age at arrival",
              text_number(p50, 2).c_str(), text_number(p90, 2).c_str(), text_number(p99, 2).c_str(),
              text_number(p999, 2).c_str(), text_number(pmax, 2).c_str());
  std::printf("  %-30s %" PRIu64 " samples, %" PRIu64 " null, %" PRIu64 " unparsable timestamps\n", "",
              win.latency.count(), win.null_timestamps, win.bad_timestamps);
  std::printf("  %-30s includes up to one conflation interval (default 100 ms) of waiting and\n", "");
  std::printf("  %-30s up to 1 ms of timestamp truncation; buckets ~6%% wide, upper edge shown\n", "");
  std::printf("  %-30s %s (counters %.2f s apart; /v1/metrics answered in %.3f s and %.3f s)\n",
              "ticks ingested/s", text_number(ticks_per_s, 0).c_str(), metrics_s, m0.took_s, m1.took_s);
  std::printf("  %-30s %s\n", "quote pushes/s (server)", text_number(pushes_per_s, 0).c_str());
  if (with_server) {
    std::printf("  %-30s %s (%s cores busy)\n", "server CPU in window", text_number(server_cpu, 2, " s").c_str(),
                text_number(server_cores, 2).c_str());
    std::printf("  %-30s %s (before connecting %s, %s per open connection)\n", "server RSS at end",
                text_number(rss_end, 0, " KiB").c_str(), text_number(rss_before, 0, " KiB").c_str(),
                text_number(rss_per_conn, 0, " B").c_str());
  } else {
    std::printf("  %-30s n/a (no --server-pid)\n", "server CPU / RSS");
  }
  std::printf("  %-30s %.2f s (%.2f cores; it shares the machine with the server)\n", "client CPU in window",
              client_cpu, client_cpu / window_s);
  std::printf("  %-30s %ld KiB\n", "client max RSS", own_max_rss_kib());

  std::printf("{\"bench\":\"ws_load\",\"connections\":%zu,\"connections_established\":%" PRIu64
              ",\"connections_open\":%" PRIu64 ",\"symbols_per_connection\":%zu,\"mode\":\"%s\","
              "\"io_threads\":%d,\"seconds\":%s,\"frames_per_s\":%s,\"updates_per_s\":%s,"
              "\"updates_per_frame\":%s,\"latency_ms\":{\"p50\":%s,\"p90\":%s,\"p99\":%s,\"p999\":%s,"
              "\"max\":%s},\"latency_samples\":%" PRIu64 ",\"handshake_ms\":{\"p50\":%s,\"p99\":%s,\"max\":%s},"
              "\"ticks_ingested_per_s\":%s,"
              "\"quote_pushes_per_s\":%s,\"server_cpu_s\":%s,\"server_cores\":%s,\"server_rss_kib\":%s,"
              "\"rss_per_connection_b\":%s,\"client_cpu_s\":%s,\"client_max_rss_kib\":%ld,\"closed_by_server\":%" PRIu64
              ",\"dropped\":%" PRIu64 ",\"connect_failures\":%" PRIu64 ",\"error_frames\":%" PRIu64 "}\n",
              opt.connections, connected, open_at_end, k, opt.mode.c_str(), opt.io_threads,
              json_number(window_s, 3).c_str(), json_number(frames_per_s, 1).c_str(),
              json_number(updates_per_s, 1).c_str(), json_number(updates_per_frame, 2).c_str(),
              json_number(p50, 3).c_str(), json_number(p90, 3).c_str(), json_number(p99, 3).c_str(),
              json_number(p999, 3).c_str(), json_number(pmax, 3).c_str(), win.latency.count(),
              json_number(hs50, 3).c_str(), json_number(hs99, 3).c_str(), json_number(hsmax, 3).c_str(),
              json_number(ticks_per_s, 1).c_str(), json_number(pushes_per_s, 1).c_str(),
              json_number(server_cpu, 2).c_str(), json_number(server_cores, 3).c_str(),
              json_number(rss_end, 0).c_str(), json_number(rss_per_conn, 0).c_str(),
              json_number(client_cpu, 2).c_str(), own_max_rss_kib(), closed_by_server, dropped_before_end, failed,
              g_error_frames.load());
  return 0;
}
