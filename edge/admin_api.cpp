#include "edge/admin_api.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

#include "edge/console_feed.hpp"
#include "edge/prometheus_text.hpp"
#include "edge/responses.hpp"
#include "protocol/json_reader.hpp"

namespace broker::edge {

namespace {

constexpr std::chrono::milliseconds sample_patience{1000};
constexpr size_t max_tree_children = 100;

const std::string actions_prefix = "/admin/v1/actions/";
const std::string actor_prefix = "/admin/v1/actors/";

// A string field of a JSON body: the value, or nullopt with a 400 sent.
std::optional<std::string> text_field(const json_object& body, const char* name, size_t max_len,
                                      bool required, respond_fn& respond) {
  auto f = body.find(name);
  if (!f) {
    if (!required)
      return std::string{};
    respond(error(400, "missing_field", std::string{name} + " is required", name));
    return std::nullopt;
  }
  if (f->type != json_field::kind::string || f->text.size() > max_len || (required && f->text.empty())) {
    respond(error(400, "invalid_field",
                  std::string{name} + " must be a string of " + (required ? "1" : "0") + " to "
                    + std::to_string(max_len) + " characters",
                  name));
    return std::nullopt;
  }
  return f->text;
}

} // namespace

void admin_api::on_request(http_request req, respond_fn respond) {
  const auto& path = req.path;
  if (path == "/favicon.ico") { // asked by every browser; the page has none
    http_response r;
    r.status = 204;
    r.content_type.clear();
    respond(std::move(r));
    return;
  }
  if (path == "/" || path.rfind("/console/", 0) == 0) {
    on_page(req, std::move(respond));
    return;
  }
  if (path == "/metrics") {
    if (req.method != "GET") {
      respond(error(405, "method_not_allowed", "GET only"));
      return;
    }
    node_.sample_actors(sample_patience, [this, req, respond](std::variant<std::vector<actor_sample>, rejection> r) {
      auto samples = std::holds_alternative<rejection>(r) ? std::vector<actor_sample>{}
                                                          : std::get<std::vector<actor_sample>>(std::move(r));
      http_response out;
      out.content_type = "text/plain; version=0.0.4; charset=utf-8";
      out.body = prometheus_text(node_, samples);
      respond(std::move(out));
      record(req, "", 200, "", "");
    });
    return;
  }
  if (path == "/admin/v1/login") {
    if (req.method != "POST") {
      respond(error(405, "method_not_allowed", "POST only"));
      return;
    }
    on_login(req, std::move(respond));
    return;
  }
  bool known = path == "/admin/v1/actors" || path == "/admin/v1/tree" || path == "/admin/v1/halts"
               || path == "/admin/v1/audit" || path.rfind(actions_prefix, 0) == 0
               || path.rfind(actor_prefix, 0) == 0;
  if (!known) {
    respond(error(404, "not_found", "no such endpoint"));
    return;
  }
  std::optional<std::string> who;
  if (auto token = bearer_token(req))
    who = tokens_.subject_of(*token);
  if (!who) {
    auto r = error(401, "unauthorized", "an operator's Bearer token is required (POST /admin/v1/login)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    respond(std::move(r));
    record(req, "", 401, "", "no valid operator token");
    return;
  }
  bool is_action = path.rfind(actions_prefix, 0) == 0;
  if (req.method != (is_action ? "POST" : "GET")) {
    respond(error(405, "method_not_allowed", is_action ? "POST only" : "GET only"));
    record(req, *who, 405, "", "");
    return;
  }
  if (is_action) {
    on_action(req, *who, std::move(respond));
    return;
  }
  if (path.rfind(actor_prefix, 0) == 0) {
    on_actor(req, *who, std::move(respond));
    return;
  }
  record(req, *who, 200, "", "");
  if (path == "/admin/v1/actors")
    on_actors(req, std::move(respond));
  else if (path == "/admin/v1/tree")
    on_tree(std::move(respond));
  else if (path == "/admin/v1/audit")
    on_audit(req, std::move(respond));
  else { // halts
    json_writer w;
    w.begin_object().key("halts").begin_array();
    for (auto& h : node_.halts().all())
      w.begin_object()
        .field("symbol", h.symbol)
        .field("reason", h.reason)
        .time_field("since", h.since)
        .field("operator", h.operator_name)
        .end_object();
    w.end_array().end_object();
    respond(json(200, w.take()));
  }
}

std::shared_ptr<ws_handler> admin_api::on_websocket(const http_request& req, std::shared_ptr<ws_sink> sink) {
  if (req.path != "/admin/v1/live")
    return nullptr; // 404
  return open_console_feed(node_, tokens_, table_, std::move(sink), [this, req](const std::string& who) {
    record(req, who, 101, "", "live feed");
  });
}

void admin_api::on_page(const http_request& req, respond_fn respond) {
  if (req.method != "GET") {
    respond(error(405, "method_not_allowed", "GET only"));
    return;
  }
  if (req.path == "/") {
    http_response r;
    r.status = 302;
    r.content_type.clear();
    r.headers.emplace_back("Location", "/console/");
    respond(std::move(r));
    return;
  }
  std::string name = req.path.substr(std::string{"/console/"}.size());
  if (name.empty())
    name = "index.html";
  // Only the directory's own files, by plain name: no path can climb out.
  bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
  std::ifstream in;
  if (plain && name.front() != '.' && !console_dir_.empty())
    in.open(console_dir_ + "/" + name, std::ios::binary);
  if (!in) {
    respond(error(404, "not_found", "no such file"));
    return;
  }
  http_response r;
  r.body.assign(std::istreambuf_iterator<char>{in}, {});
  auto ends = [&](const char* ext) {
    std::string e{ext};
    return name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0;
  };
  r.content_type = ends(".html") ? "text/html; charset=utf-8"
                   : ends(".js") ? "text/javascript; charset=utf-8"
                   : ends(".css") ? "text/css; charset=utf-8"
                                  : "application/octet-stream";
  // Everything the page loads comes from here; nothing else may run in it.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'");
  r.headers.emplace_back("Cache-Control", "no-cache");
  respond(std::move(r));
}

void admin_api::on_login(const http_request& req, respond_fn respond) {
  std::string why;
  auto body = json_object::parse(req.body, &why);
  if (!body) {
    respond(error(400, "malformed_json", why));
    return;
  }
  auto name = text_field(*body, "name", 64, true, respond);
  if (!name)
    return;
  auto password = text_field(*body, "password", 1024, true, respond);
  if (!password)
    return;
  node_.operator_login(*name, *password,
                       [this, req, respond, name = *name](std::variant<std::string, rejection> r) {
                         if (auto rej = std::get_if<rejection>(&r)) {
                           respond(error(*rej));
                           record(req, "", http_status(rej->reason), "operator:" + name, std::string{code_of(rej->reason)});
                           return;
                         }
                         auto issued = tokens_.issue_for(std::get<std::string>(r));
                         json_writer w;
                         w.begin_object()
                           .field("token", issued.token)
                           .field("operator", name)
                           .time_field("expiresAt", issued.expires_at)
                           .end_object();
                         respond(json(200, w.take()));
                         record(req, name, 200, "operator:" + name, "logged in");
                       });
}

void admin_api::on_actors(const http_request& req, respond_fn respond) {
  actor_query q;
  for (auto& [name, value] : req.query)
    if (auto bad = set_query_field(q, name, value)) {
      respond(error(400, "invalid_field", bad->message, bad->field));
      return;
    }
  node_.sample_actors(sample_patience, [this, q, respond](std::variant<std::vector<actor_sample>, rejection> r) {
    if (auto rej = std::get_if<rejection>(&r)) {
      respond(error(*rej));
      return;
    }
    respond(json(200, table_.render(std::get<std::vector<actor_sample>>(r), q)));
  });
}

void admin_api::on_actor(const http_request& req, const std::string& who, respond_fn respond) {
  auto id = positive_integer(std::string_view{req.path}.substr(actor_prefix.size()));
  if (!id) {
    respond(error(400, "invalid_field", "an actor id is a whole number from 1", "id"));
    record(req, who, 400, "", "invalid id");
    return;
  }
  record(req, who, 200, "actor:" + std::to_string(*id), "");
  node_.inspect_actor(static_cast<uint64_t>(*id), sample_patience,
                      [this, respond](std::variant<node::actor_view, rejection> r) {
                        if (auto rej = std::get_if<rejection>(&r)) {
                          respond(error(*rej));
                          return;
                        }
                        auto& v = std::get<node::actor_view>(r);
                        json_writer w;
                        w.begin_object().key("actor");
                        table_.write_row(w, v.sample);
                        w.key("state");
                        if (v.state.empty())
                          w.null();
                        else
                          w.raw(v.state);
                        w.end_object();
                        respond(json(200, w.take()));
                      });
}

void admin_api::on_tree(respond_fn respond) {
  auto entries = node_.census()->entries();
  std::map<uint64_t, std::vector<const census_entry*>> children;
  for (auto& e : entries)
    children[e.parent].push_back(&e);
  json_writer w;
  // Depth-first from the node; an actor's children are listed up to a bound,
  // with how many there are in all.
  std::function<void(uint64_t)> write_children = [&](uint64_t parent) {
    auto it = children.find(parent);
    size_t n = it == children.end() ? 0 : it->second.size();
    w.field("childCount", static_cast<int64_t>(n)).key("children").begin_array();
    for (size_t i = 0; i < n && i < max_tree_children; ++i) {
      auto* e = it->second[i];
      w.begin_object()
        .field("id", static_cast<int64_t>(e->id))
        .field("kind", to_string(e->kind))
        .field("key", e->key)
        .field("restarts", static_cast<int64_t>(e->incarnation - 1));
      write_children(e->id);
      w.end_object();
    }
    w.end_array();
  };
  w.begin_object().field("id", int64_t{0}).field("kind", "node").field("key", "");
  write_children(0);
  w.end_object();
  respond(json(200, w.take()));
}

void admin_api::on_audit(const http_request& req, respond_fn respond) {
  int64_t before = 0, limit = 100;
  if (auto b = req.query_param("before")) {
    auto n = positive_integer(*b);
    if (!n) {
      respond(error(400, "invalid_field", "before is an entry id, a whole number from 1", "before"));
      return;
    }
    before = *n;
  }
  if (auto l = req.query_param("limit")) {
    auto n = positive_integer(*l);
    if (!n) {
      respond(error(400, "invalid_field", "limit is a whole number from 1", "limit"));
      return;
    }
    limit = std::min<int64_t>(*n, 1000);
  }
  node_.audit_log(before, limit, [respond, limit](std::variant<std::vector<audit_entry>, rejection> r) {
    if (auto rej = std::get_if<rejection>(&r)) {
      respond(error(*rej));
      return;
    }
    auto& entries = std::get<std::vector<audit_entry>>(r);
    json_writer w;
    w.begin_object().field("limit", limit).key("entries").begin_array();
    for (auto& e : entries)
      w.begin_object()
        .field("id", e.id)
        .time_field("at", e.at)
        .field("operator", e.operator_name)
        .field("remoteAddress", e.remote_address)
        .field("action", e.action)
        .field("target", e.target)
        .field("detail", e.detail)
        .field("status", e.status)
        .end_object();
    w.end_array();
    if (static_cast<int64_t>(entries.size()) == limit && !entries.empty())
      w.field("nextBefore", entries.back().id);
    else
      w.key("nextBefore").null();
    w.end_object();
    respond(json(200, w.take()));
  });
}

void admin_api::on_action(const http_request& req, const std::string& who, respond_fn respond) {
  auto action = req.path.substr(actions_prefix.size());
  if (action != "halt" && action != "resume") {
    respond(error(404, "not_found", "no such action; there are halt and resume"));
    record(req, who, 404, "", "");
    return;
  }
  std::string why;
  auto body = json_object::parse(req.body, &why);
  if (!body) {
    respond(error(400, "malformed_json", why));
    record(req, who, 400, "", "malformed_json");
    return;
  }
  auto refuse = [&](http_response r, const std::string& code) {
    int status = r.status;
    respond(std::move(r));
    record(req, who, status, "", code);
  };
  auto confirm = body->find("confirm");
  if (!confirm || confirm->type != json_field::kind::boolean || confirm->text != "true") {
    refuse(error(400, "confirmation_required", "an action is carried out only with \"confirm\": true", "confirm"),
           "confirmation_required");
    return;
  }
  respond_fn checked = respond; // text_field answers 400 through it
  auto symbol = text_field(*body, "symbol", 32, true, checked);
  if (!symbol) {
    record(req, who, 400, "", "invalid symbol");
    return;
  }
  auto reason = text_field(*body, "reason", 200, action == "halt", checked);
  if (!reason) {
    record(req, who, 400, "symbol:" + *symbol, "invalid reason");
    return;
  }
  if (!node_.instruments().find(*symbol)) {
    refuse(error(404, "unknown_symbol", "unknown symbol " + *symbol, "symbol"), "unknown_symbol");
    return;
  }
  std::string target = "symbol:" + *symbol;
  // Written before it is done: an action the log cannot hold is not carried out.
  record(req, who, 0, target, "requested: " + *reason, [=](bool written) {
    if (!written) {
      respond(error(503, "storage_unavailable", "the audit log cannot be written; nothing was done"));
      return;
    }
    auto outcome = [=](int status, const std::string& detail) { record(req, who, status, target, detail); };
    if (action == "halt") {
      node_.halt_trading(*symbol, *reason, who, [=](std::variant<trading_halt, rejection> r) {
        if (auto rej = std::get_if<rejection>(&r)) {
          respond(error(*rej));
          outcome(http_status(rej->reason), std::string{code_of(rej->reason)});
          return;
        }
        auto& h = std::get<trading_halt>(r);
        json_writer w;
        w.begin_object()
          .field("symbol", h.symbol)
          .field("halted", true)
          .field("reason", h.reason)
          .time_field("since", h.since)
          .field("operator", h.operator_name)
          .end_object();
        respond(json(200, w.take()));
        outcome(200, "halted");
      });
      return;
    }
    node_.resume_trading(*symbol, [=](std::variant<bool, rejection> r) {
      if (auto rej = std::get_if<rejection>(&r)) {
        respond(error(*rej));
        outcome(http_status(rej->reason), std::string{code_of(rej->reason)});
        return;
      }
      if (!std::get<bool>(r)) {
        respond(error(409, "not_halted", *symbol + " is not halted", "symbol"));
        outcome(409, "not_halted");
        return;
      }
      json_writer w;
      w.begin_object().field("symbol", *symbol).field("halted", false).end_object();
      respond(json(200, w.take()));
      outcome(200, "resumed");
    });
  });
}

void admin_api::record(const http_request& req, std::string operator_name, int status, std::string target,
                       std::string detail, std::function<void(bool)> done) {
  audit_entry e;
  e.at = node_.clock().now();
  e.operator_name = std::move(operator_name);
  e.remote_address = req.remote_address;
  e.action = req.method + " " + req.path;
  e.target = std::move(target);
  e.detail = std::move(detail);
  e.status = status;
  node_.audit(std::move(e), [done = std::move(done)](std::variant<int64_t, rejection> r) {
    if (done)
      done(std::holds_alternative<int64_t>(r));
  });
}

} // namespace broker::edge
