// A user's watchlists and notifications:
//   GET/POST /v1/watchlists, GET/PUT/DELETE /v1/watchlists/{id},
//   POST /v1/watchlists/{id}/symbols, DELETE /v1/watchlists/{id}/symbols/{symbol},
//   GET /v1/notifications?unread=true&page=&limit=, POST /v1/notifications/read.
#include "edge/responses.hpp"
#include "edge/rest_api.hpp"

namespace broker::edge {

namespace {

const std::string watchlists_prefix = "/v1/watchlists/";

void write_list_of(json_writer& w, const std::vector<watchlist>& all) {
  w.begin_object().key("watchlists").begin_array();
  for (auto& l : all)
    write_watchlist(w, l);
  w.end_array().field("limit", static_cast<int64_t>(max_watchlists)).end_object();
}

} // namespace

bool rest_api::is_personal_list(const std::string& path) {
  return path == "/v1/watchlists" || path.rfind(watchlists_prefix, 0) == 0
         || path == "/v1/notifications" || path == "/v1/notifications/read";
}

void rest_api::on_personal_list(const http_request& req, user_id u, respond_fn respond) {
  const auto& path = req.path;
  const auto& method = req.method;
  auto wrong_method = [&](const char* allowed) {
    respond(error(405, "method_not_allowed", std::string{"use "} + allowed));
  };

  if (path == "/v1/notifications") {
    if (method != "GET")
      return wrong_method("GET");
    int64_t page = 1, limit = 50;
    if (!read_paging(req, page, limit, 500, respond))
      return;
    bool unread_only = false;
    if (auto v = req.query_param("unread")) {
      if (*v != "true" && *v != "false") {
        respond(error(400, "invalid_field", "unread must be true or false", "unread"));
        return;
      }
      unread_only = *v == "true";
    }
    node_.notifications(u, unread_only, page, limit,
                        answer<notification_page>(std::move(respond), 200,
                                                  [page, limit](json_writer& w, const notification_page& p) {
      w.begin_object().key("notifications").begin_array();
      for (auto& n : p.entries)
        write_notification(w, n);
      w.end_array().field("unread", p.unread);
      write_paging(w, page, limit, p.total);
      w.end_object();
    }));
    return;
  }
  if (path == "/v1/notifications/read") {
    if (method != "POST")
      return wrong_method("POST");
    auto parsed = parse_mark_read(req.body);
    if (auto e = std::get_if<request_error>(&parsed)) {
      respond(bad_request(*e));
      return;
    }
    auto& r = std::get<mark_read_request>(parsed);
    node_.mark_read(u, r.ids, r.all, answer<int64_t>(std::move(respond), 200, [](json_writer& w, int64_t unread) {
                      w.begin_object().field("unread", unread).end_object();
                    }));
    return;
  }
  if (path == "/v1/watchlists") {
    if (method == "GET") {
      node_.watchlists(u, answer<std::vector<watchlist>>(std::move(respond), 200, write_list_of));
    } else if (method == "POST") {
      auto parsed = parse_watchlist(req.body, watchlist_fields::create);
      if (auto e = std::get_if<request_error>(&parsed)) {
        respond(bad_request(*e));
        return;
      }
      auto& r = std::get<watchlist_request>(parsed);
      watchlist_command c;
      c.verb = watchlist_command::create;
      c.name = r.name;
      c.symbols = r.symbols;
      node_.watchlist_call(u, std::move(c), answer<watchlist>(std::move(respond), 201, write_watchlist));
    } else {
      wrong_method("GET or POST");
    }
    return;
  }

  // /v1/watchlists/{id}[/symbols[/{symbol}]]
  std::string rest = path.substr(watchlists_prefix.size());
  std::string id_text = rest.substr(0, rest.find('/'));
  std::string tail = id_text.size() < rest.size() ? rest.substr(id_text.size()) : "";
  auto id = positive_integer(id_text);
  if (!id) {
    respond(error(404, "watchlist_not_found", "no such watchlist"));
    return;
  }
  watchlist_command c;
  c.id = *id;
  auto done = [&](int status) { return answer<watchlist>(std::move(respond), status, write_watchlist); };
  if (tail.empty()) {
    if (method == "GET") {
      c.verb = watchlist_command::get;
      node_.watchlist_call(u, std::move(c), done(200));
    } else if (method == "PUT") {
      auto parsed = parse_watchlist(req.body, watchlist_fields::update);
      if (auto e = std::get_if<request_error>(&parsed)) {
        respond(bad_request(*e));
        return;
      }
      auto& r = std::get<watchlist_request>(parsed);
      c.verb = watchlist_command::update;
      c.name = r.name;
      c.symbols = r.symbols;
      node_.watchlist_call(u, std::move(c), done(200));
    } else if (method == "DELETE") {
      c.verb = watchlist_command::remove;
      node_.watchlist_call(u, std::move(c), done(200));
    } else {
      wrong_method("GET, PUT or DELETE");
    }
    return;
  }
  if (tail == "/symbols") {
    if (method != "POST")
      return wrong_method("POST");
    auto parsed = parse_watchlist(req.body, watchlist_fields::symbols_only);
    if (auto e = std::get_if<request_error>(&parsed)) {
      respond(bad_request(*e));
      return;
    }
    c.verb = watchlist_command::add;
    c.symbols = std::get<watchlist_request>(parsed).symbols;
    node_.watchlist_call(u, std::move(c), done(200));
    return;
  }
  const std::string symbols_prefix = "/symbols/";
  if (tail.rfind(symbols_prefix, 0) == 0 && tail.size() > symbols_prefix.size()
      && tail.find('/', symbols_prefix.size()) == std::string::npos) {
    if (method != "DELETE")
      return wrong_method("DELETE");
    c.verb = watchlist_command::remove_symbol;
    c.symbol = tail.substr(symbols_prefix.size());
    for (auto& ch : c.symbol)
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    node_.watchlist_call(u, std::move(c), done(200));
    return;
  }
  respond(error(404, "not_found", "no such endpoint"));
}

} // namespace broker::edge
