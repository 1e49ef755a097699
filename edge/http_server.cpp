// The edge transport, modelled on Beast's advanced_server example: a listener
// accepting onto a fresh strand per connection, one http_session per
// connection kept alive by shared_from_this, pipelined responses written in
// request order from a bounded queue, and an in-place upgrade to a
// ws_session with a bounded outbound queue.
//
// Lifetime rules inside this file:
//  * `core` holds what every session needs (handler, options, the session
//    registry, the gate). Sessions, respond_fns and sinks share it, so it
//    outlives them all; it owns no I/O object.
//  * Anything that may run outside an io thread (respond_fn, ws_sink) reaches a
//    session only through `with_live`: inside the gate it checks that the
//    io_context still exists, locks the session's weak_ptr, posts to the
//    session's strand and drops the strong reference, all before leaving.
//    stop() closes the gate (waiting for those inside) after joining the io
//    threads and before destroying the io_context, so no outside thread ever
//    touches a dead io_context or destroys a session after it.
//  * Every session is registered in `core` while it exists, so stop() can shut
//    them down and, after the join, give every WebSocket its on_closed.
#include "edge/http_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>


namespace broker::edge {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = beast::error_code;
using clock_type = std::chrono::steady_clock;
using beast_response = http::response<http::string_body>;
using beast_request = http::request<http::string_body>;

// Set in io threads to the server that owns them: stop() from one would join itself.
thread_local const void* tls_io_server = nullptr;

constexpr auto linger_limit = std::chrono::seconds(5);

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 &&
               hex_value(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void parse_query(std::string_view q, std::vector<std::pair<std::string, std::string>>& out) {
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos)
      out.emplace_back(url_decode(part), std::string());
    else
      out.emplace_back(url_decode(part.substr(0, eq)), url_decode(part.substr(eq + 1)));
  }
}

template <class Fields>
http_request to_request(const http::request_header<Fields>& h, std::string body,
                        const std::string& remote, uint64_t conn_id) {
  http_request r;
  r.method = std::string(h.method_string());
  r.target = std::string(h.target());
  size_t q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) parse_query(std::string_view(r.target).substr(q + 1), r.query);
  r.headers.reserve(static_cast<size_t>(std::distance(h.begin(), h.end())));
  for (const auto& f : h) {
    std::string name(f.name_string());
    for (auto& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    r.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  r.body = std::move(body);
  r.remote_address = remote;
  r.connection_id = conn_id;
  r.http_version = h.version();
  return r;
}

bool has_crlf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// `head`: the answer to a HEAD request, with the headers a GET would get and no body.
beast_response build_response(http_response&& r, unsigned version, bool keep_alive, bool head = false) {
  const int status = (r.status >= 100 && r.status <= 999) ? r.status : 500;
  beast_response res;
  res.version(version);
  res.result(static_cast<unsigned>(status));
  res.set(http::field::server, "brokerd");
  if (!r.content_type.empty() && !has_crlf(r.content_type))
    res.set(http::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers) {
    if (name.empty() || has_crlf(name) || has_crlf(value) ||
        name.find_first_of(": \t") != std::string::npos)
      continue;
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
        iequals(name, "connection"))
      continue;
    if (iequals(name, "server"))
      res.set(http::field::server, value);
    else if (iequals(name, "content-type"))
      res.set(http::field::content_type, value);
    else
      res.insert(name, value);
  }
  const bool bodyless = status < 200 || status == 204 || status == 304;
  if (!bodyless) {
    res.body() = std::move(r.body);
    res.prepare_payload(); // Content-Length
    if (head) res.body().clear();
  }
  res.keep_alive(keep_alive);
  return res;
}

beast_response error_response(int status, const char* text, unsigned version) {
  http_response r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = text;
  return build_response(std::move(r), version, false);
}

bool sendable_close_code(uint16_t c) {
  switch (c) {
  case 1000: case 1001: case 1002: case 1003: case 1007: case 1008:
  case 1009: case 1010: case 1011: case 1012: case 1013:
    return true;
  default:
    return c >= 3000 && c <= 4999;
  }
}

std::string truncate_utf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  // never cut inside a multi-byte sequence
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

// ---------------------------------------------------------------------------

struct session_base;

struct core {
  core(request_handler& h, server_options o) : handler(h), opts(std::move(o)) {}

  request_handler& handler;
  const server_options opts;

  // The gate: open while the io_context may be posted to. Outside threads
  // enter it around every use of a session; closing it waits until they left.
  // (Lock-free for them: a counter, not a mutex every sink would contend on.)
  std::atomic<int> gate_users{0};
  std::atomic<bool> gate_open{false};

  bool enter_gate() {
    gate_users.fetch_add(1, std::memory_order_seq_cst);
    if (gate_open.load(std::memory_order_seq_cst)) return true;
    gate_users.fetch_sub(1, std::memory_order_seq_cst);
    return false;
  }
  void leave_gate() { gate_users.fetch_sub(1, std::memory_order_seq_cst); }
  void open_gate() { gate_open.store(true, std::memory_order_seq_cst); }
  // Stop thread only; the sections it waits for are a post each.
  void close_gate() {
    gate_open.store(false, std::memory_order_seq_cst);
    while (gate_users.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  }

  // Live sessions.
  mutable std::mutex reg_mu;
  std::list<std::weak_ptr<session_base>> sessions;
  bool stopping = false;

  std::atomic<uint64_t> next_conn_id{1};

  void report(const std::string& msg) const {
    try {
      if (opts.on_error)
        opts.on_error(msg);
      else
        std::cerr << "brokerd edge: " << msg << '\n';
    } catch (...) {
    }
  }

  // The single failure path: expected ends of a connection are not reported.
  void fail(error_code ec, const char* what) const {
    if (ec == net::error::operation_aborted || ec == websocket::error::closed ||
        ec == net::error::eof || ec == http::error::end_of_stream ||
        ec == beast::error::timeout)
      return;
    report(std::string(what) + ": " + ec.message());
  }

  std::chrono::seconds idle() const {
    return std::chrono::seconds(std::max(1, opts.idle_timeout_seconds));
  }

  // Registers a session; false if the server is stopping (the caller drops it).
  bool add(const std::shared_ptr<session_base>& s);
  void remove(session_base& s);

  // Runs f(strong) if the io_context is alive and the session too; the strong
  // reference never leaves the gate.
  template <class S, class F>
  bool with_live(const std::weak_ptr<S>& wp, F&& f) {
    if (!enter_gate()) return false;
    struct leave {
      core& c;
      ~leave() { c.leave_gate(); }
    } guard{*this};
    std::shared_ptr<S> sp = wp.lock(); // released before the guard leaves
    if (!sp) return false;
    f(sp);
    return true;
  }
};

struct session_base {
  explicit session_base(std::shared_ptr<core> c) : core_(std::move(c)) {}
  virtual ~session_base() {
    if (registered_) core_->remove(*this);
  }
  session_base(const session_base&) = delete;
  session_base& operator=(const session_base&) = delete;

  // From any thread while io threads run: close the connection.
  virtual void shutdown() = 0;
  // From stop(), after the io threads were joined.
  virtual void on_server_stopped() {}

  std::shared_ptr<core> core_;
  bool registered_ = false;
  std::list<std::weak_ptr<session_base>>::iterator reg_it_;
};

bool core::add(const std::shared_ptr<session_base>& s) {
  std::lock_guard<std::mutex> lk(reg_mu);
  if (stopping) return false;
  s->reg_it_ = sessions.insert(sessions.end(), s);
  s->registered_ = true;
  return true;
}

void core::remove(session_base& s) {
  std::lock_guard<std::mutex> lk(reg_mu);
  sessions.erase(s.reg_it_);
  s.registered_ = false;
}

// ---------------------------------------------------------------------------
// WebSocket session

class ws_session;

class sink_impl final : public ws_sink {
public:
  sink_impl(std::weak_ptr<ws_session> wp, std::shared_ptr<core> c)
      : wp_(std::move(wp)), core_(std::move(c)) {}
  bool send_text(std::string frame) override;
  void close(uint16_t code, std::string reason) override;
  size_t queued_frames() const override;

private:
  std::weak_ptr<ws_session> wp_;
  std::shared_ptr<core> core_;
};

class ws_session final : public session_base, public std::enable_shared_from_this<ws_session> {
public:
  ws_session(tcp::socket&& socket, std::shared_ptr<core> c, std::string remote, uint64_t conn_id)
      : session_base(std::move(c)),
        ws_(std::move(socket)),
        ex_(ws_.get_executor()),
        close_timer_(ex_),
        remote_(std::move(remote)),
        conn_id_(conn_id) {}

  ~ws_session() override {
    // Only reachable without finish() if the io_context died with us pending,
    // which stop() prevents; never leave a handler without its on_closed.
    if (handler_) {
      try {
        handler_->on_closed();
      } catch (...) {
      }
    }
  }

  // On the connection's strand (called by the http_session that read `req`).
  void start(beast_request req) {
    req_ = std::move(req);
    if (!core_->add(shared_from_this())) { // stopping: drop the connection
      finished_ = true;
      open_for_send_ = false;
      beast::get_lowest_layer(ws_).close();
      return;
    }
    auto sink = std::make_shared<sink_impl>(weak_from_this(), core_);
    std::shared_ptr<ws_handler> h;
    int refuse_status = 404;
    try {
      h = core_->handler.on_websocket(to_request(req_, std::string(), remote_, conn_id_), sink);
    } catch (const std::exception& e) {
      core_->report(std::string("on_websocket threw: ") + e.what());
      refuse_status = 500;
    } catch (...) {
      core_->report("on_websocket threw");
      refuse_status = 500;
    }
    if (!h) return refuse(refuse_status);
    handler_ = std::move(h);

    beast::get_lowest_layer(ws_).expires_never(); // the websocket has its own timeouts
    websocket::stream_base::timeout t;
    t.handshake_timeout = std::chrono::seconds(std::max(1, core_->opts.ws_close_timeout_seconds));
    t.idle_timeout = core_->idle();
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "brokerd"); }));
    // The size limit is enforced in on_read, not by read_message_max: when Beast
    // fails a read for size it closes the socket before reading the peer's
    // close reply (Boost 1.74), and the peer may see a reset instead of 1009.
    ws_.read_message_max(0);
    ws_.async_accept(req_, [self = shared_from_this()](error_code ec) { self->on_accept(ec); });
  }

  void shutdown() override { request_close(1001, "server shutdown"); }

  void on_server_stopped() override { finish(); }

  // Any thread, under the gate.
  bool enqueue(std::string&& frame) {
    if (!open_for_send_.load(std::memory_order_acquire)) return false;
    const size_t limit = core_->opts.max_ws_queue;
    size_t n = queued_.load(std::memory_order_relaxed);
    do {
      if (n >= limit) return false;
    } while (!queued_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel));
    net::post(ex_, [self = shared_from_this(), f = std::move(frame)]() mutable {
      self->on_enqueue(std::move(f));
    });
    return true;
  }

  // Any thread, under the gate (or from shutdown()).
  void request_close(uint16_t code, std::string reason) {
    if (!open_for_send_.exchange(false, std::memory_order_acq_rel)) return;
    net::post(ex_, [self = shared_from_this(), code, r = std::move(reason)]() mutable {
      self->on_close_requested(code, std::move(r));
    });
  }

  size_t queued() const { return queued_.load(std::memory_order_acquire); }

private:
  void refuse(int status) {
    finished_ = true; // no handler: nobody to tell
    open_for_send_ = false;
    refusal_.emplace(error_response(status, status == 404 ? "not found" : "internal error",
                                    req_.version()));
    beast::get_lowest_layer(ws_).expires_after(core_->idle());
    http::async_write(ws_.next_layer(), *refusal_,
                      [self = shared_from_this()](error_code ec, size_t) {
                        if (ec) self->core_->fail(ec, "ws refuse");
                        error_code ignored;
                        beast::get_lowest_layer(self->ws_).socket().shutdown(
                            tcp::socket::shutdown_send, ignored);
                      });
  }

  void on_accept(error_code ec) {
    if (ec) {
      core_->fail(ec, "ws accept");
      return finish();
    }
    if (finished_) return;
    accepted_ = true;
    do_read();
    maybe_write();
  }

  void do_read() {
    const size_t max = core_->opts.max_ws_frame_bytes;
    const size_t limit = std::min<size_t>(max + 1 - rbuf_.size(), 64 * 1024);
    reading_ = true;
    ws_.async_read_some(rbuf_, limit, [self = shared_from_this()](error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    reading_ = false;
    if (ec) {
      core_->fail(ec, "ws read");
      return finish();
    }
    if (finished_) return;
    if (rbuf_.size() > core_->opts.max_ws_frame_bytes) return message_too_big();
    if (!ws_.is_message_done()) return do_read();
    std::string msg = beast::buffers_to_string(rbuf_.data());
    rbuf_.consume(rbuf_.size());
    const bool text = ws_.got_text();
    try {
      if (text)
        handler_->on_text(std::move(msg));
      else
        handler_->on_binary(std::move(msg));
    } catch (const std::exception& e) {
      core_->report(std::string("ws handler threw: ") + e.what());
      request_close(1011, "internal error");
    } catch (...) {
      core_->report("ws handler threw");
      request_close(1011, "internal error");
    }
    do_read(); // always, so the peer's close reply is read too
  }

  // Stop reading and close with 1009 at once: unsent frames are dropped, and
  // the close handshake discards the rest of the message.
  void message_too_big() {
    rbuf_.consume(rbuf_.size());
    open_for_send_ = false;
    const size_t in_flight = writing_ ? 1 : 0;
    while (outq_.size() > in_flight) {
      outq_.pop_back();
      queued_.fetch_sub(1, std::memory_order_acq_rel);
    }
    if (closing_) return; // a close handshake is already under way
    if (!close_requested_) {
      close_requested_ = true;
      arm_close_timer();
    }
    close_reason_ = websocket::close_reason(websocket::close_code::too_big, "message too big");
    maybe_write();
  }

  void on_enqueue(std::string f) {
    if (finished_ || close_requested_) {
      queued_.fetch_sub(1, std::memory_order_acq_rel);
      return;
    }
    outq_.push_back(std::move(f));
    maybe_write();
  }

  void maybe_write() {
    if (!accepted_ || finished_ || writing_ || closing_) return;
    if (!outq_.empty()) {
      writing_ = true;
      ws_.text(true);
      ws_.async_write(net::buffer(outq_.front()),
                      [self = shared_from_this()](error_code ec, size_t) { self->on_write(ec); });
    } else if (close_requested_) {
      closing_ = true;
      ws_.async_close(close_reason_, [self = shared_from_this()](error_code ec) {
        if (ec) self->core_->fail(ec, "ws close");
        // A pending read sees the end of the connection too, and finishes.
        if (!self->reading_) self->finish();
      });
    }
  }

  void on_write(error_code ec) {
    writing_ = false;
    outq_.pop_front();
    queued_.fetch_sub(1, std::memory_order_acq_rel);
    if (ec) {
      core_->fail(ec, "ws write");
      // `closed`: the read side is already completing the close handshake.
      if (ec != websocket::error::closed && !finished_) beast::get_lowest_layer(ws_).close();
      return;
    }
    maybe_write();
  }

  void on_close_requested(uint16_t code, std::string reason) {
    if (finished_ || close_requested_) return;
    close_requested_ = true;
    close_reason_.code = sendable_close_code(code) ? code : 1000;
    const std::string why = truncate_utf8(std::move(reason), 123);
    close_reason_.reason.assign(why.data(), why.size());
    arm_close_timer();
    maybe_write();
  }

  void arm_close_timer() {
    close_timer_.expires_after(std::chrono::seconds(std::max(1, core_->opts.ws_close_timeout_seconds)));
    close_timer_.async_wait([w = weak_from_this()](error_code ec) {
      if (ec) return;
      if (auto self = w.lock())
        if (!self->finished_) beast::get_lowest_layer(self->ws_).close(); // pending ops fail -> finish
    });
  }

  // The connection is over: exactly once, on the strand (or from stop() after
  // the io threads were joined).
  void finish() {
    if (finished_) return;
    finished_ = true;
    open_for_send_ = false;
    close_timer_.cancel();
    const size_t in_flight = writing_ ? 1 : 0;
    while (outq_.size() > in_flight) {
      outq_.pop_back();
      queued_.fetch_sub(1, std::memory_order_acq_rel);
    }
    beast::get_lowest_layer(ws_).close();
    std::shared_ptr<ws_handler> h = std::move(handler_);
    if (h) {
      try {
        h->on_closed();
      } catch (const std::exception& e) {
        core_->report(std::string("ws on_closed threw: ") + e.what());
      } catch (...) {
        core_->report("ws on_closed threw");
      }
    }
  }

  websocket::stream<beast::tcp_stream> ws_;
  const net::any_io_executor ex_;
  net::steady_timer close_timer_;
  const std::string remote_;
  const uint64_t conn_id_;
  beast_request req_;
  std::optional<beast_response> refusal_;
  beast::flat_buffer rbuf_;
  std::shared_ptr<ws_handler> handler_;

  // Shared with other threads.
  std::atomic<size_t> queued_{0};
  std::atomic<bool> open_for_send_{true};

  // Strand only.
  std::deque<std::string> outq_; // front is being written while writing_
  websocket::close_reason close_reason_;
  bool accepted_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool close_requested_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

bool sink_impl::send_text(std::string frame) {
  bool ok = false;
  core_->with_live(wp_, [&](const std::shared_ptr<ws_session>& s) { ok = s->enqueue(std::move(frame)); });
  return ok;
}

void sink_impl::close(uint16_t code, std::string reason) {
  core_->with_live(wp_, [&](const std::shared_ptr<ws_session>& s) {
    s->request_close(code, std::move(reason));
  });
}

size_t sink_impl::queued_frames() const {
  size_t n = 0;
  core_->with_live(wp_, [&](const std::shared_ptr<ws_session>& s) { n = s->queued(); });
  return n;
}

// ---------------------------------------------------------------------------
// HTTP session

class http_session;

// What a respond_fn holds: a weak reference to its connection and the slot
// (sequence number) its response goes into.
struct responder {
  responder(std::weak_ptr<http_session> w, std::shared_ptr<core> c, uint64_t s, unsigned v, bool k,
            bool h)
      : wp(std::move(w)), core_(std::move(c)), seq(s), version(v), keep_alive(k), head(h) {}
  ~responder() {
    if (done.load(std::memory_order_acquire)) return;
    try { // dropped without an answer: the client still gets one
      http_response r;
      r.status = 500;
      r.content_type = "text/plain";
      r.body = "request dropped";
      respond(std::move(r));
    } catch (...) {
    }
  }
  responder(const responder&) = delete;
  responder& operator=(const responder&) = delete;

  void respond(http_response r);

  std::weak_ptr<http_session> wp;
  std::shared_ptr<core> core_;
  const uint64_t seq;
  const unsigned version;
  const bool keep_alive;
  const bool head;
  std::atomic<bool> done{false};
};

class http_session final : public session_base, public std::enable_shared_from_this<http_session> {
public:
  http_session(tcp::socket&& socket, std::shared_ptr<core> c)
      : session_base(std::move(c)),
        stream_(std::move(socket)),
        ex_(stream_.get_executor()),
        idle_timer_(ex_),
        conn_id_(core_->next_conn_id.fetch_add(1, std::memory_order_relaxed)) {
    error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
  }

  // From the listener's strand.
  void start() {
    if (!core_->add(shared_from_this())) {
      closed_ = true;
      stream_.close();
      return;
    }
    net::dispatch(ex_, [self = shared_from_this()] { self->on_start(); });
  }

  void shutdown() override {
    net::post(ex_, [self = shared_from_this()] { self->close_now(); });
  }

  // Any thread, under the gate.
  void post_response(uint64_t seq, beast_response res) {
    net::post(ex_, [self = shared_from_this(), seq, r = std::move(res)]() mutable {
      self->on_response(seq, std::move(r));
    });
  }

private:
  struct slot {
    explicit slot(uint64_t s) : seq(s) {}
    uint64_t seq;
    bool ready = false;
    bool close = false; // close the connection after writing it
    beast_response res;
  };

  void on_start() {
    if (closed_) return;
    last_activity_ = clock_type::now();
    arm_idle(last_activity_ + core_->idle());
    do_read();
  }

  // The idle timer holds the session alive while it is open (nothing else may
  // while it waits for the handler) and closes it when nothing happens.
  void arm_idle(clock_type::time_point deadline) {
    idle_timer_.expires_at(deadline);
    idle_timer_.async_wait([self = shared_from_this()](error_code ec) { self->on_idle(ec); });
  }

  void on_idle(error_code ec) {
    if (ec || closed_) return;
    const auto now = clock_type::now();
    if (writing_ || !slots_.empty()) { // answering: the write timeout guards writes
      arm_idle(now + core_->idle());
      return;
    }
    const auto deadline = last_activity_ + core_->idle();
    if (now >= deadline) return close_now();
    arm_idle(deadline);
  }

  size_t pipeline_limit() const { return std::max<size_t>(1, core_->opts.max_pipelined); }

  void do_read() {
    if (closed_ || reading_ || read_done_ || upgrade_ || slots_.size() >= pipeline_limit()) return;
    parser_.emplace();
    parser_->body_limit(static_cast<std::uint64_t>(core_->opts.max_body_bytes));
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(core_->opts.max_header_bytes, UINT32_MAX)));
    stream_.expires_never(); // idleness is the idle timer's business
    reading_ = true;
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    reading_ = false;
    if (closed_) return;
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
      read_done_ = true; // the peer is done sending; answer what it asked, then close
      return maybe_finish();
    }
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        if (ec == http::error::body_limit) return queue_error(413, "payload too large");
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
          return queue_error(431, "request header fields too large");
        return queue_error(400, "bad request");
      }
      core_->fail(ec, "http read");
      return close_now();
    }
    last_activity_ = clock_type::now();
    beast_request req = parser_->release();
    if (websocket::is_upgrade(req)) {
      upgrade_.emplace(std::move(req));
      return maybe_upgrade();
    }
    handle(std::move(req));
    do_read();
  }

  void handle(beast_request&& req) {
    const bool keep = req.keep_alive();
    const unsigned version = req.version() == 10 ? 10 : 11;
    const bool head = req.method() == http::verb::head;
    const uint64_t seq = next_seq_++;
    slots_.emplace_back(seq);
    if (!keep) read_done_ = true;
    std::string body = std::move(req.body());
    http_request hr = to_request(req, std::move(body), remote_, conn_id_);
    auto r = std::make_shared<responder>(weak_from_this(), core_, seq, version, keep, head);
    try {
      core_->handler.on_request(std::move(hr), [r](http_response resp) { r->respond(std::move(resp)); });
    } catch (const std::exception& e) {
      core_->report(std::string("on_request threw: ") + e.what());
      r->respond(http_response{500, "text/plain", "internal error", {}});
    } catch (...) {
      core_->report("on_request threw");
      r->respond(http_response{500, "text/plain", "internal error", {}});
    }
  }

  // A request that cannot be parsed: answer in turn, then close.
  void queue_error(int status, const char* text) {
    read_done_ = true;
    slot s(next_seq_++);
    s.ready = true;
    s.close = true;
    s.res = error_response(status, text, 11);
    slots_.push_back(std::move(s));
    do_write();
  }

  void on_response(uint64_t seq, beast_response&& res) {
    if (closed_ || seq < head_seq_ || seq - head_seq_ >= slots_.size()) return;
    slot& s = slots_[static_cast<size_t>(seq - head_seq_)];
    if (s.ready) return;
    s.res = std::move(res);
    s.close = !s.res.keep_alive();
    s.ready = true;
    do_write();
  }

  void do_write() {
    if (closed_ || writing_ || slots_.empty() || !slots_.front().ready) return;
    writing_ = true;
    stream_.expires_after(core_->idle()); // a peer that does not read is dropped
    http::async_write(stream_, slots_.front().res,
                      [self = shared_from_this()](error_code ec, size_t) { self->on_write(ec); });
  }

  void on_write(error_code ec) {
    writing_ = false;
    if (closed_) return;
    if (ec) {
      core_->fail(ec, "http write");
      return close_now();
    }
    last_activity_ = clock_type::now();
    const bool close = slots_.front().close;
    slots_.pop_front();
    ++head_seq_;
    if (close) return lingering_close();
    if (upgrade_) return maybe_upgrade();
    do_read();
    do_write();
    maybe_finish();
  }

  void maybe_finish() {
    if (!closed_ && read_done_ && !upgrade_ && slots_.empty() && !writing_) lingering_close();
  }

  void maybe_upgrade() {
    if (closed_ || !upgrade_ || writing_ || !slots_.empty()) return;
    closed_ = true; // this session is done; the socket moves on
    handed_off_ = true;
    idle_timer_.cancel();
    auto ws = std::make_shared<ws_session>(stream_.release_socket(), core_, remote_, conn_id_);
    beast_request req = std::move(*upgrade_);
    upgrade_.reset();
    ws->start(std::move(req)); // same strand: the socket's executor
  }

  // Half-close, then read and discard what the peer still sends until it
  // closes (or linger_limit passes), so it gets our last response instead of
  // a reset caused by unread data.
  void lingering_close() {
    closed_ = true;
    idle_timer_.cancel();
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      stream_.close();
      return;
    }
    lingering_ = true;
    stream_.expires_after(std::min<std::chrono::seconds>(linger_limit, core_->idle()));
    do_linger();
  }

  void do_linger() {
    stream_.async_read_some(net::buffer(linger_buf_),
                            [self = shared_from_this()](error_code ec, size_t) {
                              if (ec || !self->lingering_) {
                                self->lingering_ = false;
                                self->stream_.close();
                                return;
                              }
                              self->do_linger();
                            });
  }

  void close_now() {
    if (handed_off_) return; // the socket belongs to a ws_session now
    closed_ = true;
    lingering_ = false;
    idle_timer_.cancel();
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  const net::any_io_executor ex_;
  net::steady_timer idle_timer_;
  const uint64_t conn_id_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::deque<slot> slots_; // front has seq head_seq_; references stay valid on push_back
  uint64_t head_seq_ = 0;
  uint64_t next_seq_ = 0;
  std::optional<beast_request> upgrade_;
  clock_type::time_point last_activity_{};
  std::array<char, 4096> linger_buf_{};
  bool reading_ = false;
  bool writing_ = false;
  bool read_done_ = false; // no more requests will be read
  bool closed_ = false;    // closing or handed off: no new reads, writes or responses
  bool lingering_ = false;
  bool handed_off_ = false;
};

void responder::respond(http_response r) {
  if (done.exchange(true, std::memory_order_acq_rel)) return;
  beast_response res = build_response(std::move(r), version, keep_alive, head);
  core_->with_live(wp, [&](const std::shared_ptr<http_session>& s) {
    s->post_response(seq, std::move(res));
  });
}

// ---------------------------------------------------------------------------

class listener : public std::enable_shared_from_this<listener> {
public:
  listener(net::io_context& ioc, std::shared_ptr<core> c)
      : ioc_(ioc), acceptor_(net::make_strand(ioc)), retry_(acceptor_.get_executor()), core_(std::move(c)) {}

  void open(const tcp::endpoint& ep) {
    error_code ec;
    auto check = [&](const char* what) {
      if (ec)
        throw std::runtime_error(std::string("http_server: ") + what + " " + ep.address().to_string() +
                                 ":" + std::to_string(ep.port()) + ": " + ec.message());
    };
    acceptor_.open(ep.protocol(), ec);
    check("open");
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    check("set_option");
    acceptor_.bind(ep, ec);
    check("bind");
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    check("listen");
    port_ = acceptor_.local_endpoint(ec).port();
    check("local_endpoint");
  }

  uint16_t port() const { return port_; }

  void run() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  }

  void shutdown() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      self->open_ = false;
      error_code ec;
      self->acceptor_.close(ec);
      self->retry_.cancel();
    });
  }

private:
  void do_accept() {
    if (!open_) return;
    acceptor_.async_accept(net::make_strand(ioc_), [self = shared_from_this()](error_code ec, tcp::socket s) {
      self->on_accept(ec, std::move(s));
    });
  }

  void on_accept(error_code ec, tcp::socket socket) {
    if (!open_) return;
    if (ec) {
      if (ec == net::error::operation_aborted) return;
      core_->fail(ec, "accept"); // e.g. out of file descriptors: retry shortly
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = shared_from_this()](error_code e) {
        if (!e) self->do_accept();
      });
      return;
    }
    std::make_shared<http_session>(std::move(socket), core_)->start();
    do_accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  std::shared_ptr<core> core_;
  uint16_t port_ = 0;
  bool open_ = true;
};

} // namespace

// ---------------------------------------------------------------------------

const std::string* http_request::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return &v;
  return nullptr;
}

const std::string* http_request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return &v;
  return nullptr;
}

struct http_server::impl {
  impl(request_handler& h, server_options o)
      : core_(std::make_shared<core>(h, std::move(o))),
        ioc_(std::make_unique<net::io_context>(std::max(1, core_->opts.io_threads))) {}

  ~impl() {
    // stop() already ran (from ~http_server); this only matters if start() threw.
    listener_.reset();
    ioc_.reset();
  }

  void start() {
    std::lock_guard<std::mutex> lk(life_mu_);
    if (started_ || stopped_) throw std::logic_error("http_server::start: already started or stopped");
    const auto& o = core_->opts;
    tcp::endpoint ep;
    error_code ec;
    auto addr = net::ip::make_address(o.address, ec);
    if (!ec) {
      ep = tcp::endpoint(addr, o.port);
    } else {
      tcp::resolver resolver(*ioc_);
      auto results = resolver.resolve(o.address, std::to_string(o.port), ec);
      if (ec || results.empty())
        throw std::runtime_error("http_server: cannot resolve " + o.address +
                                 (ec ? ": " + ec.message() : std::string()));
      ep = results.begin()->endpoint();
    }
    auto l = std::make_shared<listener>(*ioc_, core_);
    l->open(ep); // throws
    port_.store(l->port(), std::memory_order_release);
    listener_ = l;
    core_->open_gate();
    listener_->run();
    started_ = true;
    const int n = std::max(1, o.io_threads);
    running_ = n;
    threads_.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { io_thread(); });
  }

  void io_thread() {
    tls_io_server = this;
    if (core_->opts.on_io_thread_start)
      core_->opts.on_io_thread_start();
    for (;;) {
      try {
        ioc_->run();
        break;
      } catch (const std::exception& e) {
        core_->report(std::string("io thread: ") + e.what());
      } catch (...) {
        core_->report("io thread: unknown exception");
      }
    }
    {
      std::lock_guard<std::mutex> lk(threads_mu_);
      --running_;
    }
    threads_cv_.notify_all();
  }

  void stop() {
    if (tls_io_server == this)
      throw std::logic_error("http_server::stop called from one of its own io threads");
    std::lock_guard<std::mutex> lk(life_mu_);
    if (stopped_) return;
    stopped_ = true;
    if (!started_) return;

    // 1. stop accepting, close every connection (WebSockets with 1001).
    listener_->shutdown();
    std::vector<std::shared_ptr<session_base>> live;
    {
      std::lock_guard<std::mutex> g(core_->reg_mu);
      core_->stopping = true;
      for (auto& w : core_->sessions)
        if (auto s = w.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->shutdown();
    live.clear();

    // 2. let them finish, within the grace period; then stop the io threads anyway.
    {
      std::unique_lock<std::mutex> tl(threads_mu_);
      const auto grace = std::chrono::milliseconds(std::max(0, core_->opts.shutdown_grace_ms));
      if (!threads_cv_.wait_for(tl, grace, [&] { return running_ == 0; })) ioc_->stop();
    }
    for (auto& t : threads_) t.join();
    threads_.clear();

    // 3. close the gate: from now on nobody outside posts to or holds a session.
    core_->close_gate();

    // 4. the connections that did not get to finish get their on_closed here.
    {
      std::lock_guard<std::mutex> g(core_->reg_mu);
      for (auto& w : core_->sessions)
        if (auto s = w.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->on_server_stopped();
    live.clear();

    // 5. destroy what is left (pending handlers and the sessions they hold).
    listener_.reset();
    ioc_.reset();
  }

  std::shared_ptr<core> core_;
  std::unique_ptr<net::io_context> ioc_;
  std::shared_ptr<listener> listener_;
  std::atomic<uint16_t> port_{0};

  std::mutex life_mu_;
  bool started_ = false;
  bool stopped_ = false;

  std::vector<std::thread> threads_;
  std::mutex threads_mu_;
  std::condition_variable threads_cv_;
  int running_ = 0;
};

http_server::http_server(request_handler& handler, server_options opts)
    : impl_(std::make_unique<impl>(handler, std::move(opts))) {}

http_server::~http_server() { impl_->stop(); }

void http_server::start() { impl_->start(); }

uint16_t http_server::port() const { return impl_->port_.load(std::memory_order_acquire); }

void http_server::stop() { impl_->stop(); }

size_t http_server::connection_count() const {
  std::lock_guard<std::mutex> lk(impl_->core_->reg_mu);
  return impl_->core_->sessions.size();
}

} // namespace broker::edge
