#include "edge/admin_api.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

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

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

} // namespace

admin_api::admin_api(node& n, const token_authority& operator_tokens, const std::string& console_dir,
                     load_figures load)
  : node_(n), tokens_(operator_tokens), load_(std::move(load)) {
  // The page's files, read once: a request never waits on the disk, and the
  // served set is fixed (only plain names in this one directory).
  std::error_code ec;
  if (!console_dir.empty())
    for (auto& f : std::filesystem::directory_iterator{console_dir, ec}) {
      if (!f.is_regular_file())
        continue;
      auto name = f.path().filename().string();
      std::ifstream in{f.path(), std::ios::binary};
      page_file p;
      p.body.assign(std::istreambuf_iterator<char>{in}, {});
      p.content_type = ends_with(name, ".html") ? "text/html; charset=utf-8"
                       : ends_with(name, ".js") ? "text/javascript; charset=utf-8"
                       : ends_with(name, ".css") ? "text/css; charset=utf-8"
                                                 : "application/octet-stream";
      page_files_.emplace(std::move(name), std::move(p));
    }
  rates_source_->n = &node_;
  observe_node_counters(node_, *load_.rates);
  // Each counter is observed a few times a slot, so that none is missed.
  auto every = std::clamp(std::chrono::milliseconds{load_.rates->slot_ns() / 4'000'000}, std::chrono::milliseconds{250},
                          std::chrono::milliseconds{1000});
  rates_ticker_ = node_.every(every, [source = rates_source_, rates = load_.rates] {
    std::lock_guard<std::mutex> guard{source->mutex};
    if (source->n)
      observe_node_counters(*source->n, *rates);
  });
}

admin_api::~admin_api() {
  std::lock_guard<std::mutex> guard{rates_source_->mutex};
  rates_source_->n = nullptr;
}

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
      out.body = prometheus_text(node_, samples, *load_.requests);
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
               || path == "/admin/v1/audit" || path == "/admin/v1/charts" || path.rfind(actions_prefix, 0) == 0
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
  bool is_trace = path.rfind(actor_prefix, 0) == 0 && path.size() > 6
                  && path.compare(path.size() - 6, 6, "/trace") == 0;
  if (is_trace) {
    on_trace(req, *who, std::move(respond));
    return;
  }
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
  else if (path == "/admin/v1/charts")
    on_charts(std::move(respond));
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
  return open_console_feed(node_, tokens_, table_, load_, std::move(sink), [this, req](const std::string& who) {
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
  auto file = page_files_.find(name);
  if (file == page_files_.end()) {
    respond(error(404, "not_found", "no such file"));
    return;
  }
  http_response r;
  r.body = file->second.body;
  r.content_type = file->second.content_type;
  // Everything the page loads comes from here; nothing else may run in it.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'");
  r.headers.emplace_back("Cache-Control", "no-cache");
  respond(std::move(r));
}

void admin_api::on_charts(respond_fn respond) {
  respond(json(200, render_load_charts(load_)));
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

void admin_api::on_trace(const http_request& req, const std::string& who, respond_fn respond) {
  auto id_text = req.path.substr(actor_prefix.size(), req.path.size() - actor_prefix.size() - 6);
  auto id = positive_integer(id_text);
  if (!id) {
    respond(error(400, "invalid_field", "an actor id is a whole number from 1", "id"));
    record(req, who, 400, "", "invalid id");
    return;
  }
  auto target = "actor:" + std::to_string(*id);
  auto census = node_.census();
  if (req.method == "POST") { // start (or restart) it
    int64_t seconds = 60;
    if (!req.body.empty()) {
      std::string why;
      auto body = json_object::parse(req.body, &why);
      auto f = body ? body->find("seconds") : nullptr;
      std::optional<int64_t> n = f && f->type == json_field::kind::number ? positive_integer(f->text) : std::nullopt;
      if (!body || (f && (!n || *n > 300))) {
        respond(error(400, "invalid_field", "seconds is a whole number from 1 to 300", "seconds"));
        record(req, who, 400, target, "invalid seconds");
        return;
      }
      if (n)
        seconds = *n;
    }
    if (!census->start_trace(static_cast<uint64_t>(*id), seconds * 1'000'000'000)) {
      respond(error(404, "actor_not_found", "no live actor has id " + std::to_string(*id), "id"));
      record(req, who, 404, target, "actor_not_found");
      return;
    }
    json_writer w;
    w.begin_object().field("actor", *id).field("tracing", true).field("seconds", seconds)
      .field("keeps", static_cast<int64_t>(actor_gauge::trace_capacity)).end_object();
    respond(json(200, w.take()));
    record(req, who, 200, target, "trace for " + std::to_string(seconds) + " s");
    return;
  }
  if (req.method != "GET") {
    respond(error(405, "method_not_allowed", "GET (what it recorded) or POST (start it)"));
    return;
  }
  auto entry = census->find(static_cast<uint64_t>(*id));
  if (!entry) {
    respond(error(404, "actor_not_found", "no live actor has id " + std::to_string(*id), "id"));
    return;
  }
  record(req, who, 200, target, "");
  auto& g = *entry->gauge;
  auto now = census->now_ns();
  auto until = g.trace_until_ns.load(std::memory_order_relaxed);
  auto kept = g.traced_so_far();
  json_writer w;
  w.begin_object().field("actor", *id).field("tracing", until > now);
  w.field("secondsLeft", until > now ? (until - now) / 1'000'000'000 : int64_t{0});
  {
    std::lock_guard<std::mutex> guard{g.trace_mutex};
    w.field("handled", static_cast<int64_t>(g.traced));
  }
  w.key("messages").begin_array();
  for (auto& m : kept)
    w.begin_object()
      .field("agoMs", (now - m.at_ns) / 1'000'000)
      .field("type", m.type)
      .field("sender", static_cast<int64_t>(m.sender))
      .field("handlerUs", m.handler_ns / 1000)
      .end_object();
  w.end_array().end_object();
  respond(json(200, w.take()));
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

namespace {

// An id field: a JSON number or a string of digits (the API writes ids as
// strings). nullopt, with a 400 sent, when absent or not a whole number >= 1.
std::optional<int64_t> id_field(const json_object& body, const char* name, respond_fn& respond) {
  auto f = body.find(name);
  std::optional<int64_t> id;
  if (f && (f->type == json_field::kind::number || f->type == json_field::kind::string))
    id = positive_integer(f->text);
  if (!id)
    respond(error(f ? 400 : 400, f ? "invalid_field" : "missing_field",
                  std::string{name} + " is required: an id, a whole number from 1", name));
  return id;
}

http_response done_json(const std::function<void(json_writer&)>& fields) {
  json_writer w;
  w.begin_object();
  fields(w);
  w.end_object();
  return json(200, w.take());
}

// Turns a node reply into the action's answer: `on_value` writes the body
// (or refuses) and names the outcome for the audit log.
template <class T>
reply<T> finish(std::function<void(http_response, std::string)> end,
                std::function<std::pair<http_response, std::string>(const T&)> on_value) {
  return [end = std::move(end), on_value = std::move(on_value)](std::variant<T, rejection> r) {
    if (auto rej = std::get_if<rejection>(&r)) {
      end(error(*rej), std::string{code_of(rej->reason)});
      return;
    }
    auto [response, outcome] = on_value(std::get<T>(r));
    end(std::move(response), std::move(outcome));
  };
}

} // namespace

void admin_api::on_action(const http_request& req, const std::string& who, respond_fn respond) {
  auto action = req.path.substr(actions_prefix.size());
  static const std::set<std::string> actions{"halt", "resume", "disconnect", "restart-exchange-link",
                                             "passivate", "block", "unblock"};
  if (!actions.count(action)) {
    respond(error(404, "not_found",
                  "no such action; there are halt, resume, disconnect, restart-exchange-link, passivate, block, "
                  "unblock"));
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
  // Every refusal below is answered and recorded alike.
  int refused_status = 0;
  respond_fn checked = [&](http_response r) {
    refused_status = r.status;
    respond(std::move(r));
  };
  auto refuse_recorded = [&](const std::string& target, const std::string& detail) {
    record(req, who, refused_status, target, detail);
  };
  auto confirm = body->find("confirm");
  if (!confirm || confirm->type != json_field::kind::boolean || confirm->text != "true") {
    checked(error(400, "confirmation_required", "an action is carried out only with \"confirm\": true", "confirm"));
    refuse_recorded("", "confirmation_required");
    return;
  }
  // Each action: what it is about, and how it is carried out.
  using end_fn = std::function<void(http_response, std::string)>;
  std::string target, detail;
  std::function<void(end_fn)> perform;
  if (action == "halt" || action == "resume") {
    auto symbol = text_field(*body, "symbol", 32, true, checked);
    auto reason = symbol ? text_field(*body, "reason", 200, action == "halt", checked) : std::nullopt;
    if (!symbol || !reason)
      return refuse_recorded("", "invalid field");
    if (!node_.instruments().find(*symbol)) {
      checked(error(404, "unknown_symbol", "unknown symbol " + *symbol, "symbol"));
      return refuse_recorded("symbol:" + *symbol, "unknown_symbol");
    }
    target = "symbol:" + *symbol;
    detail = *reason;
    if (action == "halt")
      perform = [this, who, symbol = *symbol, reason = *reason](end_fn end) {
        node_.halt_trading(symbol, reason, who, finish<trading_halt>(end, [](const trading_halt& h) {
                             return std::make_pair(done_json([&](json_writer& w) {
                                                     w.field("symbol", h.symbol)
                                                       .field("halted", true)
                                                       .field("reason", h.reason)
                                                       .time_field("since", h.since)
                                                       .field("operator", h.operator_name);
                                                   }),
                                                   std::string{"halted"});
                           }));
      };
    else
      perform = [this, symbol = *symbol](end_fn end) {
        node_.resume_trading(symbol, finish<bool>(end, [symbol](const bool& was) {
                               if (!was)
                                 return std::make_pair(error(409, "not_halted", symbol + " is not halted", "symbol"),
                                                       std::string{"not_halted"});
                               return std::make_pair(done_json([&](json_writer& w) {
                                                       w.field("symbol", symbol).field("halted", false);
                                                     }),
                                                     std::string{"resumed"});
                             }));
      };
  } else if (action == "disconnect") {
    auto actor = id_field(*body, "actor", checked);
    auto reason = actor ? text_field(*body, "reason", 200, false, checked) : std::nullopt;
    if (!actor || !reason)
      return refuse_recorded("", "invalid field");
    target = "actor:" + std::to_string(*actor);
    detail = *reason;
    perform = [this, actor = *actor, reason = reason->empty() ? std::string{"by an operator"} : *reason](end_fn end) {
      node_.disconnect_session(static_cast<uint64_t>(actor), reason, finish<bool>(end, [actor](const bool&) {
                                 return std::make_pair(done_json([&](json_writer& w) {
                                                         w.field("actor", actor).field("disconnected", true);
                                                       }),
                                                       std::string{"disconnected"});
                               }));
    };
  } else if (action == "restart-exchange-link") {
    target = "exchange";
    perform = [this](end_fn end) {
      node_.restart_exchange_link(finish<bool>(end, [](const bool& had) {
        if (!had)
          return std::make_pair(error(409, "no_exchange_link", "there is no exchange link to restart; one is being opened"),
                                std::string{"no_exchange_link"});
        return std::make_pair(done_json([](json_writer& w) { w.field("restarting", true); }),
                              std::string{"link dropped; it reopens and reconciles"});
      }));
    };
  } else { // passivate, block, unblock: one user
    auto user = id_field(*body, "user", checked);
    auto reason = user ? text_field(*body, "reason", 200, false, checked) : std::nullopt;
    if (!user || !reason)
      return refuse_recorded("", "invalid field");
    target = "user:" + std::to_string(*user);
    detail = *reason;
    if (action == "passivate")
      perform = [this, user = *user](end_fn end) {
        node_.passivate_account(user, finish<bool>(end, [user](const bool& stopped) {
                                  if (!stopped)
                                    return std::make_pair(
                                      error(409, "not_passivated",
                                            "the account is not live here, or is committing; try again", "user"),
                                      std::string{"not_passivated"});
                                  return std::make_pair(done_json([&](json_writer& w) {
                                                          w.field("user", std::to_string(user)).field("passivated", true);
                                                        }),
                                                        std::string{"passivated"});
                                }));
      };
    else
      perform = [this, user = *user, blocked = action == "block"](end_fn end) {
        node_.block_trading(user, blocked, finish<user_profile>(end, [](const user_profile& p) {
                              return std::make_pair(done_json([&](json_writer& w) {
                                                      w.field("user", std::to_string(p.id))
                                                        .field("tradingBlocked", p.trading_blocked);
                                                    }),
                                                    std::string{p.trading_blocked ? "blocked" : "unblocked"});
                            }));
      };
  }
  // Written before it is done: an action the log cannot hold is not carried out.
  record(req, who, 0, target, "requested" + (detail.empty() ? std::string{} : ": " + detail),
         [=](bool written) {
           if (!written) {
             respond(error(503, "storage_unavailable", "the audit log cannot be written; nothing was done"));
             return;
           }
           perform([=](http_response r, std::string outcome) {
             int status = r.status;
             respond(std::move(r));
             record(req, who, status, target, outcome);
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
