#include "tests/support/test_client.hpp"

#include <algorithm>
#include <deque>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace broker::testing {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = beast::error_code;

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

[[noreturn]] void throw_ec(const std::string& what, error_code ec) {
  throw std::runtime_error("test client: " + what + ": " + ec.message());
}

tcp::endpoint resolve(net::io_context& ioc, const std::string& host, uint16_t port) {
  error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(addr, port);
  tcp::resolver r(ioc);
  auto results = r.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) throw_ec("resolve " + host, ec);
  return results.begin()->endpoint();
}

// Runs the io_context until `done` or the deadline. Returns whether done.
bool run_until(net::io_context& ioc, const bool& done, std::chrono::steady_clock::time_point deadline) {
  ioc.restart();
  while (!done && ioc.run_one_until(deadline) > 0) {
  }
  return done;
}

bool run_until(net::io_context& ioc, const bool& done, std::chrono::milliseconds timeout) {
  return run_until(ioc, done, std::chrono::steady_clock::now() + timeout);
}

} // namespace

const std::string* client_response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

// ---------------------------------------------------------------------------

struct http_client::impl {
  impl(std::string h, uint16_t p, std::chrono::milliseconds t)
      : host(std::move(h)), port(p), timeout(t), stream(ioc) {}

  void connect() {
    buffer.clear();
    stream.expires_after(timeout);
    error_code ec;
    bool done = false;
    stream.async_connect(resolve(ioc, host, port), [&](error_code e) {
      ec = e;
      done = true;
    });
    ioc.restart();
    ioc.run(); // bounded by the stream's timeout
    if (!done || ec) throw_ec("connect", ec);
    connected = true;
    ++opened;
  }

  void reset() {
    stream.close();
    ioc.restart();
    ioc.poll();
    connected = false;
    buffer.clear();
  }

  // One attempt; returns false if a reused connection turned out closed.
  bool attempt(http::request<http::string_body>& req, bool reused, client_response& out) {
    error_code ec;
    stream.expires_after(timeout);
    http::async_write(stream, req, [&](error_code e, size_t) { ec = e; });
    ioc.restart();
    ioc.run();
    if (ec) {
      if (reused) return false;
      throw_ec("write", ec);
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    if (req.method() == http::verb::head) parser.skip(true); // headers only
    stream.expires_after(timeout);
    http::async_read(stream, buffer, parser, [&](error_code e, size_t) { ec = e; });
    ioc.restart();
    ioc.run();
    if (ec) {
      if (reused && (ec == http::error::end_of_stream || ec == net::error::eof ||
                     ec == net::error::connection_reset))
        return false;
      throw_ec("read", ec);
    }
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    out.headers.clear();
    for (const auto& f : res) out.headers.emplace_back(lower(std::string(f.name_string())), std::string(f.value()));
    if (!res.keep_alive()) reset();
    return true;
  }

  std::string host;
  uint16_t port;
  std::chrono::milliseconds timeout;
  net::io_context ioc;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool connected = false;
  int opened = 0;
};

http_client::http_client(std::string host, uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>(std::move(host), port, timeout)) {}

http_client::~http_client() = default;

client_response http_client::request(const std::string& method, const std::string& target,
                                     const std::string& body,
                                     const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<http::string_body> req;
  http::verb v = http::string_to_verb(method);
  if (v == http::verb::unknown)
    req.method_string(method);
  else
    req.method(v);
  req.target(target);
  req.version(11);
  req.set(http::field::host, impl_->host + ":" + std::to_string(impl_->port));
  req.set(http::field::user_agent, "broker-test-client");
  req.body() = body;
  if (!body.empty() || v == http::verb::post || v == http::verb::put || v == http::verb::patch)
    req.prepare_payload();
  req.keep_alive(true);
  for (const auto& [k, val] : headers) req.set(k, val);

  for (int i = 0; i < 2; ++i) {
    const bool reused = impl_->connected;
    client_response out;
    try {
      if (!impl_->connected) impl_->connect();
      if (impl_->attempt(req, reused, out)) return out;
    } catch (...) {
      impl_->reset(); // a half-done exchange leaves the connection unusable
      throw;
    }
    impl_->reset();
  }
  throw std::runtime_error("test client: request failed twice");
}

std::string http_client::raw(const std::string& bytes, std::chrono::milliseconds timeout) {
  net::io_context ioc;
  beast::tcp_stream s(ioc);
  error_code ec;
  s.expires_after(std::max(timeout, impl_->timeout));
  s.async_connect(resolve(ioc, impl_->host, impl_->port), [&](error_code e) { ec = e; });
  ioc.run();
  if (ec) throw_ec("raw connect", ec);
  s.expires_after(std::max(timeout, impl_->timeout));
  net::async_write(s, net::buffer(bytes), [&](error_code e, size_t) { ec = e; });
  ioc.restart();
  ioc.run();
  // A write error (the server closed early) still leaves its answer to read.
  // `timeout` counts from here: the request is out.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  char buf[4096];
  for (;;) {
    size_t n = 0;
    s.expires_at(deadline);
    s.async_read_some(net::buffer(buf), [&](error_code e, size_t k) {
      ec = e;
      n = k;
    });
    ioc.restart();
    ioc.run();
    out.append(buf, n);
    if (ec) break; // eof, reset or timeout
  }
  return out;
}

int http_client::connections_opened() const { return impl_->opened; }

void http_client::disconnect() { impl_->reset(); }

// ---------------------------------------------------------------------------

struct ws_client::impl {
  impl(std::string h, uint16_t p, std::chrono::milliseconds t)
      : host(std::move(h)), port(p), timeout(t), ws(ioc) {}

  ~impl() {
    error_code ec;
    beast::get_lowest_layer(ws).socket().close(ec);
  }

  void start_read() {
    if (read_pending || closed) return;
    read_pending = true;
    ws.async_read(buffer, [this](error_code ec, size_t) {
      read_pending = false;
      if (ec) {
        closed = true;
        error = ec.message();
        // A close frame may have arrived even if replying to it failed.
        if (ec == websocket::error::closed || ws.reason().code != websocket::close_code::none) {
          code = ws.reason().code;
          reason = std::string(ws.reason().reason.data(), ws.reason().reason.size());
        }
        return;
      }
      inbox.push_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
    });
  }

  void write(const std::string& data, bool text) {
    if (closed) throw std::runtime_error("test ws client: connection closed");
    ws.text(text);
    error_code ec;
    bool done = false;
    ws.async_write(net::buffer(data), [&](error_code e, size_t) {
      ec = e;
      done = true;
    });
    if (!run_until(ioc, done, timeout)) {
      beast::get_lowest_layer(ws).close();
      run_until(ioc, done, timeout);
      throw std::runtime_error("test ws client: write timed out");
    }
    if (ec) throw_ec("ws write", ec);
  }

  std::string host;
  uint16_t port;
  std::chrono::milliseconds timeout;
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  std::deque<std::string> inbox;
  bool read_pending = false;
  bool closed = false;
  std::optional<uint16_t> code;
  std::string reason;
  std::string error;
};

ws_client::ws_client(std::string host, uint16_t port, std::string target, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>(std::move(host), port, timeout)) {
  auto& i = *impl_;
  auto& lowest = beast::get_lowest_layer(i.ws);
  error_code ec;
  lowest.expires_after(timeout);
  lowest.async_connect(resolve(i.ioc, i.host, i.port), [&](error_code e) { ec = e; });
  i.ioc.run();
  if (ec) throw_ec("ws connect", ec);
  lowest.expires_never();
  websocket::stream_base::timeout t;
  t.handshake_timeout = timeout;
  t.idle_timeout = websocket::stream_base::none();
  t.keep_alive_pings = false;
  i.ws.set_option(t);
  bool done = false;
  i.ws.async_handshake(i.host + ":" + std::to_string(i.port), target, [&](error_code e) {
    ec = e;
    done = true;
  });
  if (!run_until(i.ioc, done, timeout + std::chrono::seconds(1))) {
    lowest.close();
    run_until(i.ioc, done, timeout);
    throw std::runtime_error("test ws client: handshake timed out");
  }
  if (ec) throw_ec("ws handshake", ec);
}

ws_client::~ws_client() = default;

void ws_client::send_text(const std::string& s) { impl_->write(s, true); }

void ws_client::send_binary(const std::string& s) { impl_->write(s, false); }

std::optional<std::string> ws_client::read_text(std::chrono::milliseconds timeout) {
  auto& i = *impl_;
  if (i.inbox.empty()) {
    i.start_read();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    i.ioc.restart();
    while (i.inbox.empty() && !i.closed && i.ioc.run_one_until(deadline) > 0) {
    }
  }
  if (i.inbox.empty()) return std::nullopt;
  std::string s = std::move(i.inbox.front());
  i.inbox.pop_front();
  return s;
}

std::optional<uint16_t> ws_client::close_code() const { return impl_->code; }

std::string ws_client::close_reason() const { return impl_->reason; }

bool ws_client::is_closed() const { return impl_->closed; }

std::string ws_client::read_error() const { return impl_->error; }

void ws_client::close() {
  auto& i = *impl_;
  if (i.closed) return;
  error_code ec;
  bool done = false;
  i.ws.async_close(websocket::close_code::normal, [&](error_code e) {
    ec = e;
    done = true;
  });
  if (!run_until(i.ioc, done, i.timeout)) {
    beast::get_lowest_layer(i.ws).close();
    run_until(i.ioc, done, i.timeout);
  }
  if (!i.code && i.ws.reason().code != websocket::close_code::none) {
    i.code = i.ws.reason().code;
    i.reason = std::string(i.ws.reason().reason.data(), i.ws.reason().reason.size());
  }
  i.closed = true;
}

} // namespace broker::testing
