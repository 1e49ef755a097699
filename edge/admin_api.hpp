#pragma once
// The operator console's HTTP API, on its own listener (brokerd's
// --admin-address/--admin-port, loopback by default), apart from users'.
//
//   POST /admin/v1/login {name, password}      -> {token, operator, expiresAt}
//   GET  /admin/v1/actors?kind=&key=&sort=&limit= -> the census with mailbox depths
//   GET  /admin/v1/tree                          -> node -> supervisors -> actors
//   GET  /admin/v1/halts                         -> symbols halted now
//   GET  /admin/v1/audit?before=&limit=          -> the audit log, newest first
//   POST /admin/v1/actions/halt {symbol, reason, confirm: true}
//   POST /admin/v1/actions/resume {symbol, confirm: true}
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
#include "edge/http_server.hpp"
#include "edge/tokens.hpp"

namespace broker::edge {

class admin_api final : public request_handler {
public:
  admin_api(node& n, const token_authority& operator_tokens) : node_(n), tokens_(operator_tokens) {}
  void on_request(http_request req, respond_fn respond) override;
  std::shared_ptr<ws_handler> on_websocket(const http_request& req,
                                           std::shared_ptr<ws_sink> sink) override;

private:
  void on_login(const http_request& req, respond_fn respond);
  void on_actors(const http_request& req, respond_fn respond);
  void on_tree(respond_fn respond);
  void on_action(const http_request& req, const std::string& operator_name, respond_fn respond);
  void on_audit(const http_request& req, respond_fn respond);
  // Appends one audit entry; `done` (may be empty) hears whether it was written.
  void record(const http_request& req, std::string operator_name, int status, std::string target,
              std::string detail, std::function<void(bool)> done = {});
  // Messages per second of each actor since the previous listing (or since
  // it enrolled): the console's refresh makes the window.
  double rate_of(const actor_sample& s);

  node& node_;
  const token_authority& tokens_;
  std::mutex rates_mutex_;
  std::map<uint64_t, std::pair<uint64_t, int64_t>> last_seen_; // id -> (messages, at_ns)
};

} // namespace broker::edge
