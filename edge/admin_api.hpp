#pragma once
// The operator console's HTTP API, on its own listener (brokerd's
// --admin-address/--admin-port, loopback by default), apart from users'.
//
//   GET  /, /console/...                        -> the console page (edge/console/), no token
//   POST /admin/v1/login {name, password}      -> {token, operator, expiresAt}
//   GET  /admin/v1/actors?kind=&key=&sort=&limit= -> the census with mailbox depths
//   GET  /admin/v1/actors/ID                     -> {actor, state}: one actor's state, asked of it
//   POST /admin/v1/actors/ID/trace {seconds}     -> trace its messages (type, sender, handler time)
//   GET  /admin/v1/actors/ID/trace               -> what the trace kept (the last 200), oldest first
//   GET  /admin/v1/tree                          -> node -> supervisors -> actors
//   GET  /admin/v1/halts                         -> symbols halted now
//   GET  /admin/v1/audit?before=&limit=          -> the audit log, newest first
//   GET  /admin/v1/charts                        -> requests per endpoint and the node's rates, 15 min (load_charts.hpp)
//   POST /admin/v1/actions/halt {symbol, reason, confirm: true}
//   POST /admin/v1/actions/resume {symbol, confirm: true}
//   WS   /admin/v1/live                         -> the actor table pushed each second (console_feed.hpp)
//   GET  /metrics                                -> Prometheus text (no token)
//
// Everything but login and /metrics needs an operator's Bearer token (its own
// key and audience: a user's token is refused). Every request is written to
// the audit log. An action is written before it is carried out, and refused
// (503) if that write fails, so nothing is done unrecorded; its outcome is
// written after it.
#include <map>
#include <mutex>

#include "actors/node.hpp"
#include "edge/actor_table.hpp"
#include "edge/http_server.hpp"
#include "edge/load_charts.hpp"
#include "edge/tokens.hpp"

namespace broker::edge {

class admin_api final : public request_handler {
public:
  // `console_dir`: the page's static files (edge/console/), read once here and
  // served at /console/. `load`: both listeners' request figures (their
  // handlers wrapped in timed_requests); the node's rates are observed into
  // it each second from here on.
  admin_api(node& n, const token_authority& operator_tokens, const std::string& console_dir = {},
            load_figures load = load_figures{});
  ~admin_api() override;
  void on_request(http_request req, respond_fn respond) override;
  std::shared_ptr<ws_handler> on_websocket(const http_request& req,
                                           std::shared_ptr<ws_sink> sink) override;

private:
  void on_login(const http_request& req, respond_fn respond);
  void on_page(const http_request& req, respond_fn respond);
  void on_actors(const http_request& req, respond_fn respond);
  void on_actor(const http_request& req, const std::string& operator_name, respond_fn respond);
  void on_trace(const http_request& req, const std::string& operator_name, respond_fn respond);
  void on_tree(respond_fn respond);
  void on_action(const http_request& req, const std::string& operator_name, respond_fn respond);
  void on_audit(const http_request& req, respond_fn respond);
  void on_charts(respond_fn respond);
  // Appends one audit entry; `done` (may be empty) hears whether it was written.
  void record(const http_request& req, std::string operator_name, int status, std::string target,
              std::string detail, std::function<void(bool)> done = {});

  node& node_;
  const token_authority& tokens_;
  struct page_file {
    std::string content_type;
    std::string body;
  };
  std::map<std::string, page_file> page_files_; // by name
  load_figures load_;
  actor_table table_;
  // The ticker observing the node's rates runs on a CAF worker and may tick
  // once more after its handle is dropped; it reaches the node only through
  // this, which the destructor empties first.
  struct rates_source {
    std::mutex mutex;
    const node* n = nullptr;
  };
  std::shared_ptr<rates_source> rates_source_ = std::make_shared<rates_source>();
  std::shared_ptr<void> rates_ticker_;
};

} // namespace broker::edge
