#pragma once
// The broker's HTTP API and WebSocket entry, on top of the transport in
// http_server.hpp. Validates shape (400 with the field named), authenticates
// (401), and hands the command to the node; the answer comes back
// asynchronously and is written as JSON.
#include "actors/node.hpp"
#include "edge/http_server.hpp"
#include "edge/tokens.hpp"

namespace broker::edge {

class rest_api final : public request_handler {
public:
  rest_api(node& n, const token_authority& tokens) : node_(n), tokens_(tokens) {}
  void on_request(http_request req, respond_fn respond) override;
  std::shared_ptr<ws_handler> on_websocket(const http_request& req,
                                           std::shared_ptr<ws_sink> sink) override;

private:
  void on_stocks(const http_request& req, respond_fn respond);
  void on_history(const http_request& req, const std::string& symbol, respond_fn respond);
  void on_market(const http_request& req, respond_fn respond);
  // edge/account_api.cpp: portfolio, history, trades, tax report (all GET).
  static bool is_account_view(const std::string& path);
  void on_account_view(const http_request& req, user_id u, respond_fn respond);
  // edge/lists_api.cpp: watchlists and notifications.
  static bool is_personal_list(const std::string& path);
  void on_personal_list(const http_request& req, user_id u, respond_fn respond);
  node& node_;
  const token_authority& tokens_;
};

} // namespace broker::edge
