#pragma once
// Synchronous HTTP and WebSocket clients for end-to-end tests against the real
// edge server (Boost.Beast underneath, kept out of this header). Every network
// wait is bounded: a client operation that does not complete within its
// timeout throws std::runtime_error rather than hanging the test run.
// Not thread-safe: use one client from one thread at a time.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace broker::testing {

struct client_response {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers; // names lower-cased
  const std::string* header(std::string_view lower) const;   // nullptr if absent
};

// One keep-alive connection; reconnects if the server closed it.
class http_client {
public:
  http_client(std::string host, uint16_t port,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // Sends one HTTP/1.1 request (Host, and Content-Length when there is a body
  // or the method is POST/PUT/PATCH, are added; `headers` may override) and
  // reads the response. A request on a reused connection that the server had
  // already closed is retried once on a new one. Throws on failure/timeout.
  client_response request(const std::string& method, const std::string& target,
                          const std::string& body = "",
                          const std::vector<std::pair<std::string, std::string>>& headers = {});

  // Raw bytes for malformed-request tests, on a fresh connection of its own:
  // writes `bytes` and returns everything received until the server closes the
  // connection or `timeout` (counted once the bytes are written) passes,
  // whichever is first; then closes the connection.
  std::string raw(const std::string& bytes,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Connections opened so far by request() (1 while keep-alive holds).
  int connections_opened() const;
  void disconnect();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

class ws_client {
public:
  // Connects and performs the handshake; throws std::runtime_error if the
  // server refuses (e.g. 404) or does not answer within `timeout`.
  ws_client(std::string host, uint16_t port, std::string target = "/v1/ws",
            std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  // Throw on failure (e.g. the connection was closed).
  void send_text(const std::string&);
  void send_binary(const std::string&);
  // The next message (text or binary), or nullopt on timeout or when the
  // connection is closed (then close_code() tells how). A read that timed out
  // stays pending: nothing is lost, the next call continues it.
  std::optional<std::string> read_text(std::chrono::milliseconds timeout);
  std::optional<uint16_t> close_code() const; // set once a close frame was received
  std::string close_reason() const;
  bool is_closed() const;
  std::string read_error() const; // why the connection ended, for diagnostics
  // Sends close 1000 and waits (bounded) for the server's close frame.
  void close();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace broker::testing
