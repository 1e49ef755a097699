#pragma once
// The edge transport: one HTTP/1.1 + WebSocket server on one port (Boost.Beast
// underneath, kept out of this header). Transport only: no routing, no JSON,
// no business logic. The REST layer implements `request_handler`; WebSocket
// session actors implement `ws_handler` and push frames through `ws_sink`.
//
// Threading contract, in short:
//  * request_handler::on_request / on_websocket and every ws_handler method run
//    on an io thread, on the connection's strand: never two at once for one
//    connection, possibly concurrently for different connections. Keep them
//    short; hand work to other threads and answer through respond_fn / ws_sink.
//  * respond_fn and ws_sink may be used from any thread, also after the
//    connection closed and after the server was stopped or destroyed (they
//    then do nothing). port() and connection_count() may be called from any
//    thread while the server exists.
//  * The request_handler must outlive the http_server. Nothing the server
//    hands out (respond_fn, ws_sink) keeps the server alive.
//  * stop() and ~http_server() must not be called from a handler callback
//    (they join the io threads); doing so throws std::logic_error.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace broker::edge {

struct http_request {
  std::string method; // "GET", "POST", ...
  std::string target; // raw target, path + query
  std::string path;   // target without query, not percent-decoded
  // decoded (%XX and '+') query parameters, in order; a key without '=' has ""
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers; // names lower-cased
  std::string body;
  std::string remote_address; // peer IP address, without the port
  std::uint64_t connection_id = 0; // same for every request of one connection
  unsigned http_version = 11;      // 10 or 11

  const std::string* header(std::string_view lower_name) const; // nullptr if absent
  const std::string* query_param(std::string_view name) const;  // first one; nullptr if absent
};

struct http_response {
  int status = 200; // outside 100..999 is sent as 500
  std::string content_type = "application/json"; // empty: no Content-Type header
  std::string body; // dropped for 1xx, 204 and 304
  // Extra headers. The server owns Content-Length, Transfer-Encoding and
  // Connection (ignored here); a "Server" entry replaces "Server: brokerd".
  std::vector<std::pair<std::string, std::string>> headers;
};

// Answers one request. Called at most once, from any thread; later calls are
// ignored. Responses of one connection go out in request order whatever order
// they are produced in. If the last copy is destroyed without having been
// called, the server answers 500 in its place, so a request is never stranded.
using respond_fn = std::function<void(http_response)>;

// Outbound side of one WebSocket connection; thread-safe, may be called from
// any thread, also after the connection closed (then it does nothing).
class ws_sink {
public:
  virtual ~ws_sink() = default;
  // Queues a text frame. Returns false (and drops the frame) if the connection
  // is closed or closing, or its outbound queue already holds max_ws_queue
  // frames (the frame being written counts): the caller decides (e.g. close it).
  // true means queued: a frame that races with the connection closing may
  // still be dropped.
  virtual bool send_text(std::string frame) = 0;
  // Sends a close frame with `code` after the frames already queued (a close
  // that cannot complete within ws_close_timeout_seconds drops the connection).
  // The reason is cut to 123 bytes; a code that may not be sent on the wire
  // (e.g. 1005, 1006, < 1000) is replaced by 1000. Later calls are ignored.
  virtual void close(std::uint16_t code, std::string reason) = 0;
  virtual std::size_t queued_frames() const = 0;
};

// Inbound side, implemented by the user of this server. Its methods are called
// on the connection's strand, one at a time, in order. After on_closed nothing
// else is called, and the server drops its reference to the handler.
class ws_handler {
public:
  virtual ~ws_handler() = default;
  virtual void on_text(std::string frame) = 0;
  virtual void on_binary(std::string frame) = 0;
  virtual void on_closed() = 0; // exactly once, whatever the reason
};

class request_handler {
public:
  virtual ~request_handler() = default;
  virtual void on_request(http_request req, respond_fn respond) = 0;
  // For an upgrade request: return the handler for the new connection, or
  // nullptr to refuse (the server replies 404; 500 if this throws). `sink` may
  // be used at once; frames queued before the handshake completes are sent
  // after it. A returned handler gets on_closed even if the handshake then
  // fails (e.g. a bad Sec-WebSocket-Key, answered 400 by the server).
  virtual std::shared_ptr<ws_handler> on_websocket(const http_request& req,
                                                   std::shared_ptr<ws_sink> sink) = 0;
};

struct server_options {
  std::string address = "127.0.0.1"; // IP literal or host name
  std::uint16_t port = 0;             // 0 = pick a free port
  int io_threads = 1;
  std::size_t max_body_bytes = 1 << 20;       // larger -> 413
  std::size_t max_header_bytes = 16 * 1024;   // larger -> 431
  std::size_t max_ws_frame_bytes = 64 * 1024; // larger message -> close 1009
  std::size_t max_ws_queue = 256;
  // HTTP: a connection with nothing to do (no request being answered, no
  // bytes moving) for this long is closed; a response write that makes no
  // progress for this long drops the connection. WebSocket: a ping goes out
  // after half of it without traffic, the connection is dropped after all of it.
  // Values below 1 count as 1.
  int idle_timeout_seconds = 60;
  int ws_close_timeout_seconds = 5; // WS handshake and close handshake deadline
  std::size_t max_pipelined = 8; // queued responses per connection; reading pauses when full
  // stop(): how long connections get to finish closing before the io threads
  // are stopped regardless.
  int shutdown_grace_ms = 2000;
  // Unexpected transport errors ("read: connection reset by peer" ...) and
  // exceptions escaping handlers. Called from io threads. Empty: written to
  // stderr. Expected ones (eof, operation aborted, closed, timeouts) are not
  // reported.
  std::function<void(const std::string&)> on_error;
  // Run first thing on each io thread (brokerd: join the books' allocator
  // arena when memory is pre-touched). Empty: nothing.
  std::function<void()> on_io_thread_start;
};

class http_server {
public:
  http_server(request_handler& handler, server_options opts);
  ~http_server(); // stops and joins
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds, listens, starts io threads; throws std::runtime_error if the address
  // does not resolve or bind/listen fails. Once only (std::logic_error after).
  void start();
  std::uint16_t port() const; // actual bound port after start(), 0 before
  // Idempotent: stops accepting, closes connections (WebSocket ones with 1001),
  // joins the io threads; every open WebSocket gets its on_closed before stop()
  // returns. The server cannot be started again.
  void stop();
  // Connection sessions alive right now (HTTP and WebSocket), for tests/metrics.
  std::size_t connection_count() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace broker::edge
