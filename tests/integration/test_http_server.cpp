// End-to-end tests of the edge transport: the real server on a loopback port,
// driven by the synchronous test clients. Nothing sleeps to wait for an event:
// every wait is a condition variable or a future with a generous timeout.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "edge/http_server.hpp"
#include "tests/support/test_client.hpp"

using namespace std::chrono_literals;
using broker::edge::http_request;
using broker::edge::http_response;
using broker::edge::http_server;
using broker::edge::request_handler;
using broker::edge::respond_fn;
using broker::edge::server_options;
using broker::edge::ws_handler;
using broker::edge::ws_sink;
using broker::testing::client_response;
using broker::testing::http_client;
using broker::testing::ws_client;

namespace {

constexpr auto patience = 10s; // how long a wait for something that must happen may take

// What the WebSocket side of the fake handler saw; shared with the test.
struct ws_state {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> paths;
  std::vector<std::string> texts;
  std::vector<std::string> binaries;
  int opened = 0;
  int closed = 0;
  std::vector<bool> flood_results;
  size_t queued_after_flood = 0;
  std::shared_ptr<ws_sink> last_sink;

  template <class Pred>
  bool wait(Pred p, std::chrono::milliseconds t = patience) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, t, p);
  }
};

// Echoes text as "echo:<text>"; "flood" pushes 10 frames at once; "close:<code>"
// makes the server close with that code.
class echo_ws final : public ws_handler {
public:
  echo_ws(std::shared_ptr<ws_state> st, std::shared_ptr<ws_sink> sink)
      : st_(std::move(st)), sink_(std::move(sink)) {}

  void on_text(std::string frame) override {
    {
      std::lock_guard<std::mutex> lk(st_->mu);
      st_->texts.push_back(frame);
    }
    if (frame == "flood") {
      std::vector<bool> results;
      for (int i = 0; i < 10; ++i) results.push_back(sink_->send_text("f" + std::to_string(i)));
      const size_t queued = sink_->queued_frames();
      std::lock_guard<std::mutex> lk(st_->mu);
      st_->flood_results = results;
      st_->queued_after_flood = queued;
    } else if (frame.rfind("close:", 0) == 0) {
      sink_->close(static_cast<uint16_t>(std::stoi(frame.substr(6))), "bye");
    } else {
      sink_->send_text("echo:" + frame);
    }
    st_->cv.notify_all();
  }

  void on_binary(std::string frame) override {
    const size_t n = frame.size();
    {
      std::lock_guard<std::mutex> lk(st_->mu);
      st_->binaries.push_back(std::move(frame));
    }
    sink_->send_text("bin:" + std::to_string(n));
    st_->cv.notify_all();
  }

  void on_closed() override {
    {
      std::lock_guard<std::mutex> lk(st_->mu);
      ++st_->closed;
    }
    st_->cv.notify_all();
  }

private:
  std::shared_ptr<ws_state> st_;
  std::shared_ptr<ws_sink> sink_;
};

std::string describe_query(const http_request& r) {
  std::string s;
  for (const auto& [k, v] : r.query) s += "[" + k + "=" + v + "]";
  return s;
}

// echo: answers at once with "<METHOD> <path> <body>" (status from ?status=).
// hold: keeps every respond_fn for the test to call.  drop: never answers.
class fake_handler final : public request_handler {
public:
  enum class mode { echo, hold, drop };

  void on_request(http_request req, respond_fn respond) override {
    http_response r;
    if (m == mode::echo) {
      r.body = req.method + " " + req.path + " " + req.body;
      r.headers.emplace_back("X-Echo-Query", describe_query(req));
      if (const auto* st = req.query_param("status")) r.status = std::stoi(*st);
    }
    {
      std::lock_guard<std::mutex> lk(mu);
      requests.push_back(std::move(req));
      if (m == mode::hold) held.push_back(std::move(respond));
    }
    cv.notify_all();
    if (m == mode::echo) respond(std::move(r)); // after recording: the test reads `requests`
  }

  std::shared_ptr<ws_handler> on_websocket(const http_request& req, std::shared_ptr<ws_sink> sink) override {
    if (req.path == "/refuse") return nullptr;
    {
      std::lock_guard<std::mutex> lk(ws->mu);
      ws->paths.push_back(req.path);
      ++ws->opened;
      ws->last_sink = sink;
    }
    ws->cv.notify_all();
    return std::make_shared<echo_ws>(ws, std::move(sink));
  }

  template <class Pred>
  bool wait(Pred p, std::chrono::milliseconds t = patience) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, t, p);
  }
  bool wait_requests(size_t n, std::chrono::milliseconds t = patience) {
    return wait([&] { return requests.size() >= n; }, t);
  }
  bool wait_held(size_t n, std::chrono::milliseconds t = patience) {
    return wait([&] { return held.size() >= n; }, t);
  }
  respond_fn take_held(size_t i) {
    std::lock_guard<std::mutex> lk(mu);
    return held.at(i);
  }
  size_t request_count() {
    std::lock_guard<std::mutex> lk(mu);
    return requests.size();
  }
  http_request request_at(size_t i) {
    std::lock_guard<std::mutex> lk(mu);
    return requests.at(i);
  }

  std::atomic<mode> m{mode::echo};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<http_request> requests;
  std::vector<respond_fn> held;
  std::shared_ptr<ws_state> ws = std::make_shared<ws_state>();
};

// A started server with a fake handler; members in destruction-safe order.
struct fixture {
  explicit fixture(server_options o = {}) {
    o.on_error = [this](const std::string& m) {
      std::lock_guard<std::mutex> lk(errors_mu);
      errors.push_back(m);
    };
    server = std::make_unique<http_server>(handler, std::move(o));
    server->start();
  }
  uint16_t port() const { return server->port(); }

  fake_handler handler;
  std::mutex errors_mu;
  std::vector<std::string> errors;
  std::unique_ptr<http_server> server;
};

size_t count_of(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

} // namespace

TEST_CASE("http_server: GET and POST round trip with query decoding and headers", "[edge][http]") {
  fixture f;
  http_client c("127.0.0.1", f.port());

  auto r = c.request("GET", "/v1/items?a=1&b=hello+world&c=%41%42&empty&x=%zz&&a=2",
                     "", {{"X-Custom", "Foo"}});
  CHECK(r.status == 200);
  CHECK(r.body == "GET /v1/items ");
  REQUIRE(r.header("server"));
  CHECK(*r.header("server") == "brokerd");
  REQUIRE(r.header("content-type"));
  CHECK(*r.header("content-type") == "application/json");
  REQUIRE(r.header("content-length"));
  CHECK(*r.header("content-length") == std::to_string(r.body.size()));
  REQUIRE(r.header("x-echo-query"));
  CHECK(*r.header("x-echo-query") == "[a=1][b=hello world][c=AB][empty=][x=%zz][a=2]");

  REQUIRE(f.handler.wait_requests(1));
  const http_request g = f.handler.request_at(0);
  CHECK(g.method == "GET");
  CHECK(g.target == "/v1/items?a=1&b=hello+world&c=%41%42&empty&x=%zz&&a=2");
  CHECK(g.path == "/v1/items");
  REQUIRE(g.query_param("a"));
  CHECK(*g.query_param("a") == "1"); // the first one
  REQUIRE(g.query_param("b"));
  CHECK(*g.query_param("b") == "hello world");
  CHECK(g.query_param("nope") == nullptr);
  REQUIRE(g.header("x-custom"));
  CHECK(*g.header("x-custom") == "Foo");
  CHECK(g.header("X-Custom") == nullptr); // names are lower-cased
  CHECK(g.remote_address == "127.0.0.1");
  CHECK(g.http_version == 11);
  CHECK(g.body.empty());

  r = c.request("POST", "/v1/orders?status=201", R"({"qty":5})", {{"Content-Type", "application/json"}});
  CHECK(r.status == 201);
  CHECK(r.body == R"(POST /v1/orders {"qty":5})");
  REQUIRE(f.handler.wait_requests(2));
  const http_request p = f.handler.request_at(1);
  CHECK(p.method == "POST");
  CHECK(p.body == R"({"qty":5})");
  REQUIRE(p.header("content-length"));
  CHECK(*p.header("content-length") == "9");

  // 204 carries neither body nor Content-Length.
  r = c.request("DELETE", "/v1/orders/7?status=204");
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  CHECK(r.header("content-length") == nullptr);
  // a path with no query
  r = c.request("GET", "/plain");
  CHECK(r.body == "GET /plain ");
  CHECK(*r.header("x-echo-query") == "");
  // HEAD: the headers of the answer, no body
  r = c.request("HEAD", "/plain");
  CHECK(r.status == 200);
  CHECK(r.body.empty());
  REQUIRE(r.header("content-length"));
  CHECK(*r.header("content-length") == std::to_string(std::string("HEAD /plain ").size()));
  CHECK(c.request("GET", "/after-head").body == "GET /after-head "); // the stream stayed in sync
  CHECK(c.connections_opened() == 1);
}

TEST_CASE("http_server: keep-alive serves several requests on one connection", "[edge][http]") {
  fixture f;
  http_client c("127.0.0.1", f.port());
  for (int i = 0; i < 5; ++i) CHECK(c.request("GET", "/k/" + std::to_string(i)).status == 200);
  CHECK(c.connections_opened() == 1);
  REQUIRE(f.handler.wait_requests(5));
  for (size_t i = 1; i < 5; ++i) CHECK(f.handler.request_at(i).connection_id == f.handler.request_at(0).connection_id);

  // Connection: close is honoured; the client then needs a new connection.
  auto r = c.request("GET", "/bye", "", {{"Connection", "close"}});
  CHECK(r.status == 200);
  REQUIRE(r.header("connection"));
  CHECK(*r.header("connection") == "close");
  CHECK(c.request("GET", "/again").status == 200);
  CHECK(c.connections_opened() == 2);
  REQUIRE(f.handler.wait_requests(7));
  CHECK(f.handler.request_at(6).connection_id != f.handler.request_at(0).connection_id);

  // HTTP/1.0 without keep-alive: answered as 1.0, then the server closes.
  const std::string raw = c.raw("GET /old HTTP/1.0\r\n\r\n");
  CHECK(raw.rfind("HTTP/1.0 200", 0) == 0);
  CHECK(raw.find("GET /old ") != std::string::npos);
}

TEST_CASE("http_server: pipelined responses go out in request order", "[edge][http]") {
  fixture f;
  f.handler.m = fake_handler::mode::hold;

  // The handler answers the three requests in reverse order, from another thread.
  std::thread responder([&] {
    if (!f.handler.wait_held(3)) return;
    for (size_t i = 3; i-- > 0;) {
      http_response r;
      r.content_type = "text/plain";
      r.body = "body-" + *f.handler.request_at(i).query_param("i");
      f.handler.take_held(i)(std::move(r));
    }
  });
  http_client c("127.0.0.1", f.port());
  const std::string out =
      c.raw(get("/p?i=1") + get("/p?i=2") + get("/p?i=3", "Connection: close\r\n"));
  responder.join();

  CHECK(count_of(out, "HTTP/1.1 200 OK") == 3);
  const size_t p1 = out.find("body-1"), p2 = out.find("body-2"), p3 = out.find("body-3");
  REQUIRE(p1 != std::string::npos);
  REQUIRE(p2 != std::string::npos);
  REQUIRE(p3 != std::string::npos);
  CHECK(p1 < p2);
  CHECK(p2 < p3);
  REQUIRE(f.handler.request_count() == 3);
  CHECK(f.handler.request_at(0).connection_id == f.handler.request_at(2).connection_id);
}

TEST_CASE("http_server: reading pauses while max_pipelined responses are pending", "[edge][http]") {
  server_options o;
  o.max_pipelined = 2;
  fixture f(o);
  f.handler.m = fake_handler::mode::hold;

  http_client c("127.0.0.1", f.port());
  auto out = std::async(std::launch::async, [&] {
    return c.raw(get("/q?i=0") + get("/q?i=1") + get("/q?i=2") + get("/q?i=3", "Connection: close\r\n"));
  });
  REQUIRE(f.handler.wait_held(2));
  // A third request must not be read while two answers are outstanding.
  CHECK_FALSE(f.handler.wait_held(3, 300ms));
  CHECK(f.handler.request_count() == 2);

  for (size_t i = 0; i < 4; ++i) {
    REQUIRE(f.handler.wait_held(i + 1));
    http_response r;
    r.body = "n" + std::to_string(i);
    f.handler.take_held(i)(std::move(r));
  }
  REQUIRE(out.wait_for(patience) == std::future_status::ready);
  const std::string text = out.get();
  CHECK(count_of(text, "HTTP/1.1 200 OK") == 4);
  CHECK(text.find("n0") < text.find("n1"));
  CHECK(text.find("n1") < text.find("n2"));
  CHECK(text.find("n2") < text.find("n3"));
}

TEST_CASE("http_server: oversized body gets 413", "[edge][http]") {
  server_options o;
  o.max_body_bytes = 1024;
  fixture f(o);
  http_client c("127.0.0.1", f.port());

  CHECK(c.request("POST", "/small", std::string(1024, 'a')).status == 200);
  // Well past the socket buffers: the client gets its 413 even though the
  // server stops reading the body (it drains it before closing).
  auto r = c.request("POST", "/big", std::string(512 * 1024, 'b'));
  CHECK(r.status == 413);
  REQUIRE(r.header("connection"));
  CHECK(*r.header("connection") == "close");
  CHECK(c.request("GET", "/after").status == 200); // on a new connection
  CHECK(c.connections_opened() == 2);
  REQUIRE(f.handler.wait_requests(2));
  CHECK(f.handler.request_count() == 2); // the oversized one never reached the handler
}

TEST_CASE("http_server: malformed requests get 400 and the connection closes", "[edge][http]") {
  server_options o;
  o.max_header_bytes = 1024;
  fixture f(o);
  http_client c("127.0.0.1", f.port());

  const auto t0 = std::chrono::steady_clock::now();
  std::string out = c.raw("THIS IS NOT HTTP\r\n\r\n");
  CHECK(out.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(out.find("Server: brokerd") != std::string::npos);
  CHECK(out.find("Connection: close") != std::string::npos);
  // raw() returned because the server closed, well before its 10 s timeout.
  CHECK(std::chrono::steady_clock::now() - t0 < 8s);

  // A good request, then garbage: answered in order, then closed.
  out = c.raw(get("/fine") + "NOT A REQUEST\r\n\r\n");
  CHECK(out.rfind("HTTP/1.1 200", 0) == 0);
  const size_t bad = out.find("HTTP/1.1 400");
  CHECK(bad != std::string::npos);
  CHECK(out.find("GET /fine ") < bad);

  out = c.raw(get("/h", "X-Big: " + std::string(2048, 'h') + "\r\n"));
  CHECK(out.rfind("HTTP/1.1 431", 0) == 0);

  CHECK(c.request("GET", "/still-fine").status == 200);
}

TEST_CASE("http_server: idle keep-alive connections are closed", "[edge][http]") {
  server_options o;
  o.idle_timeout_seconds = 1;
  fixture f(o);
  http_client c("127.0.0.1", f.port());
  const auto t0 = std::chrono::steady_clock::now();
  const std::string out = c.raw(""); // connect, send nothing: returns when the server closes
  CHECK(out.empty());
  CHECK(std::chrono::steady_clock::now() - t0 < 8s);
}

TEST_CASE("http_server: respond_fn is safe after the client left and after the server died", "[edge][http]") {
  respond_fn survivor;
  {
    fixture f;
    f.handler.m = fake_handler::mode::hold;
    http_client c("127.0.0.1", f.port());
    // The client gives up before an answer and disconnects.
    CHECK(c.raw(get("/slow"), 100ms).empty());
    REQUIRE(f.handler.wait_held(1));
    std::thread([fn = f.handler.take_held(0)] {
      fn(http_response{200, "text/plain", "too late", {}});
      fn(http_response{500, "text/plain", "twice", {}}); // ignored
    }).join();

    // The server is unaffected.
    f.handler.m = fake_handler::mode::echo;
    CHECK(c.request("GET", "/next").status == 200);

    // A handler that drops respond_fn without calling it: the client gets 500.
    f.handler.m = fake_handler::mode::drop;
    CHECK(c.request("GET", "/dropped").status == 500);

    // One respond_fn outlives the server.
    f.handler.m = fake_handler::mode::hold;
    auto pending = std::async(std::launch::async, [port = f.port()] {
      http_client c2("127.0.0.1", port, 3s);
      try {
        return c2.request("GET", "/never").status;
      } catch (const std::exception&) {
        return -1; // the server went away
      }
    });
    REQUIRE(f.handler.wait_held(2));
    survivor = f.handler.take_held(1);
    f.server->stop();
    CHECK(pending.get() == -1);
  }
  survivor(http_response{}); // server destroyed: does nothing
  survivor = nullptr;
}

TEST_CASE("http_server: WebSocket echo and on_closed once when the client closes", "[edge][ws]") {
  fixture f;
  auto st = f.handler.ws;
  {
    ws_client w("127.0.0.1", f.port(), "/v1/ws");
    w.send_text("hi");
    CHECK(w.read_text(patience) == std::optional<std::string>("echo:hi"));
    w.send_text("again");
    CHECK(w.read_text(patience) == std::optional<std::string>("echo:again"));
    CHECK_FALSE(w.read_text(50ms).has_value()); // nothing more (the read stays pending)
    w.close();
    CHECK(w.close_code() == std::optional<uint16_t>(1000));
  }
  REQUIRE(st->wait([&] { return st->closed >= 1; }));
  {
    std::lock_guard<std::mutex> lk(st->mu);
    REQUIRE(st->paths.size() == 1);
    CHECK(st->paths[0] == "/v1/ws");
    CHECK(st->texts == std::vector<std::string>{"hi", "again"});
  }
  // After the close, the sink is inert from any thread.
  std::shared_ptr<ws_sink> sink = st->last_sink;
  std::thread([sink] {
    (void)sink->send_text("late");
    sink->close(1000, "late");
  }).join();
  CHECK_FALSE(sink->send_text("late"));
  CHECK(sink->queued_frames() == 0);

  f.server->stop(); // a second on_closed would show up here
  std::lock_guard<std::mutex> lk(st->mu);
  CHECK(st->closed == 1);
  CHECK(st->opened == 1);
}

TEST_CASE("http_server: server-side close sends the code and calls on_closed once", "[edge][ws]") {
  fixture f;
  auto st = f.handler.ws;
  ws_client w("127.0.0.1", f.port());
  w.send_text("close:4001");
  CHECK_FALSE(w.read_text(patience).has_value());
  CHECK(w.is_closed());
  CHECK(w.close_code() == std::optional<uint16_t>(4001));
  CHECK(w.close_reason() == "bye");
  REQUIRE(st->wait([&] { return st->closed >= 1; }));
  f.server->stop();
  std::lock_guard<std::mutex> lk(st->mu);
  CHECK(st->closed == 1);
}

TEST_CASE("http_server: oversized WebSocket message closes with 1009", "[edge][ws]") {
  server_options o;
  o.max_ws_frame_bytes = 1024;
  fixture f(o);
  auto st = f.handler.ws;
  ws_client w("127.0.0.1", f.port());
  w.send_text(std::string(1024, 'o'));
  CHECK(w.read_text(patience) == std::optional<std::string>("echo:" + std::string(1024, 'o')));
  w.send_text(std::string(4096, 'x'));
  CHECK_FALSE(w.read_text(patience).has_value());
  INFO("read error: " << w.read_error());
  CHECK(w.close_code() == std::optional<uint16_t>(1009));
  REQUIRE(st->wait([&] { return st->closed >= 1; }));
  f.server->stop();
  std::lock_guard<std::mutex> lk(st->mu);
  CHECK(st->closed == 1);
  CHECK(st->texts.size() == 1);
}

TEST_CASE("http_server: binary frames reach on_binary", "[edge][ws]") {
  fixture f;
  auto st = f.handler.ws;
  ws_client w("127.0.0.1", f.port());
  const std::string payload("\x00\x01\xff\x80", 4); // not UTF-8: only valid as binary
  w.send_binary(payload);
  CHECK(w.read_text(patience) == std::optional<std::string>("bin:4"));
  {
    std::lock_guard<std::mutex> lk(st->mu);
    REQUIRE(st->binaries.size() == 1);
    CHECK(st->binaries[0] == payload);
    CHECK(st->texts.empty());
  }
  w.close();
}

TEST_CASE("http_server: send_text refuses frames beyond max_ws_queue", "[edge][ws]") {
  server_options o;
  o.max_ws_queue = 2;
  fixture f(o);
  auto st = f.handler.ws;
  ws_client w("127.0.0.1", f.port());
  // on_text runs on the connection's strand, where the queue drains: during it
  // nothing leaves the queue, so exactly max_ws_queue sends succeed.
  w.send_text("flood");
  REQUIRE(st->wait([&] { return !st->flood_results.empty(); }));
  {
    std::lock_guard<std::mutex> lk(st->mu);
    CHECK(st->flood_results ==
          std::vector<bool>{true, true, false, false, false, false, false, false, false, false});
    CHECK(st->queued_after_flood == 2);
  }
  CHECK(w.read_text(patience) == std::optional<std::string>("f0"));
  CHECK(w.read_text(patience) == std::optional<std::string>("f1"));
  // The queue drained: sending works again.
  w.send_text("more");
  CHECK(w.read_text(patience) == std::optional<std::string>("echo:more"));
  CHECK_FALSE(w.read_text(50ms).has_value());
  w.close();
}

TEST_CASE("http_server: refused upgrade gets 404", "[edge][ws]") {
  fixture f;
  CHECK_THROWS(ws_client("127.0.0.1", f.port(), "/refuse"));
  http_client c("127.0.0.1", f.port());
  const std::string out = c.raw(
      "GET /refuse HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  CHECK(out.rfind("HTTP/1.1 404", 0) == 0);
  std::lock_guard<std::mutex> lk(f.handler.ws->mu);
  CHECK(f.handler.ws->opened == 0);
}

TEST_CASE("http_server: stop closes WebSockets with 1001 and calls on_closed", "[edge][ws]") {
  fixture f;
  auto st = f.handler.ws;
  ws_client w("127.0.0.1", f.port());
  w.send_text("x");
  CHECK(w.read_text(patience) == std::optional<std::string>("echo:x"));
  CHECK(f.server->connection_count() == 1);
  // stop() waits for the close handshake, which needs this client reading.
  auto stopped = std::async(std::launch::async, [&] { f.server->stop(); });
  CHECK_FALSE(w.read_text(patience).has_value());
  CHECK(w.close_code() == std::optional<uint16_t>(1001));
  REQUIRE(stopped.wait_for(patience) == std::future_status::ready);
  stopped.get();
  f.server->stop(); // idempotent
  std::lock_guard<std::mutex> lk(st->mu);
  CHECK(st->closed == 1);
}

TEST_CASE("http_server: stop gives on_closed to a WebSocket that does not answer", "[edge][ws]") {
  server_options o;
  o.shutdown_grace_ms = 200;
  fixture f(o);
  auto st = f.handler.ws;
  ws_client w("127.0.0.1", f.port());
  w.send_text("x");
  CHECK(w.read_text(patience) == std::optional<std::string>("echo:x"));
  f.server->stop(); // the client never reads the close frame: the grace period ends it
  std::lock_guard<std::mutex> lk(st->mu);
  CHECK(st->closed == 1);
}

TEST_CASE("http_server: start fails on a taken port; stop is idempotent", "[edge][http]") {
  fixture f;
  fake_handler other;
  server_options o;
  o.port = f.port();
  http_server second(other, o);
  CHECK_THROWS_AS(second.start(), std::runtime_error);
  second.stop();
  second.stop();

  server_options bad;
  bad.address = "definitely-not-a-host.invalid";
  http_server third(other, bad);
  CHECK_THROWS_AS(third.start(), std::runtime_error);

  http_server never_started(other, server_options{});
  never_started.stop();
  CHECK(never_started.port() == 0);
}

TEST_CASE("http_server: concurrent clients on several io threads", "[edge][http][ws]") {
  server_options o;
  o.io_threads = 2;
  fixture f(o);
  constexpr int clients = 4, rounds = 25;
  std::vector<std::future<int>> results;
  for (int t = 0; t < clients; ++t) {
    results.push_back(std::async(std::launch::async, [t, port = f.port()] {
      int ok = 0;
      http_client c("127.0.0.1", port);
      ws_client w("127.0.0.1", port);
      for (int i = 0; i < rounds; ++i) {
        const std::string body = std::to_string(t) + ":" + std::to_string(i);
        auto r = c.request("POST", "/c", body);
        if (r.status == 200 && r.body == "POST /c " + body) ++ok;
        w.send_text(body);
        if (w.read_text(patience) == std::optional<std::string>("echo:" + body)) ++ok;
      }
      w.close();
      return ok;
    }));
  }
  for (auto& r : results) CHECK(r.get() == 2 * rounds);
  auto st = f.handler.ws;
  REQUIRE(st->wait([&] { return st->closed >= clients; }));
  f.server->stop();
  std::lock_guard<std::mutex> lk(st->mu);
  CHECK(st->closed == clients);
  CHECK(st->opened == clients);
}

TEST_CASE("http_server: a sink used from another thread across close, stop and destruction", "[edge][ws]") {
  auto f = std::make_unique<fixture>();
  auto st = f->handler.ws;
  ws_client w("127.0.0.1", f->port());
  w.send_text("x");
  REQUIRE(w.read_text(patience) == std::optional<std::string>("echo:x"));
  std::shared_ptr<ws_sink> sink;
  {
    std::lock_guard<std::mutex> lk(st->mu);
    sink = st->last_sink;
  }
  REQUIRE(sink);

  std::atomic<bool> quit{false};
  std::atomic<int> accepted{0};
  std::thread pusher([&] {
    while (!quit.load()) {
      if (sink->send_text("tick")) ++accepted;
      (void)sink->queued_frames();
      std::this_thread::yield();
    }
  });
  CHECK(w.read_text(patience) == std::optional<std::string>("tick"));
  w.close(); // while frames keep coming
  REQUIRE(st->wait([&] { return st->closed >= 1; }));
  f->server->stop();
  f.reset(); // the server is gone; the pusher goes on
  quit = true;
  pusher.join();
  CHECK(accepted.load() > 0);
  CHECK_FALSE(sink->send_text("after"));
  CHECK(sink->queued_frames() == 0);
  sink->close(1000, "after");
  std::lock_guard<std::mutex> lk(st->mu);
  CHECK(st->closed == 1);
}
