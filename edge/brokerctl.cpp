// brokerctl: the operator console in a terminal, for an ssh session. It
// speaks brokerd's admin API (edge/admin_api.hpp) and shows the same views
// as the web page:
//
//   brokerctl login NAME            password on stdin; the token is kept in --token-file
//   brokerctl top [--sort S] [--kind K] [--key K] [--limit N] [--once]
//                                   the actor table, redrawn every second (q or Ctrl-C ends it)
//   brokerctl load [--once]          requests per endpoint and the node's rates, charted
//                                   over the last 15 minutes, redrawn every second
//   brokerctl tree | show ID | halts | audit [--limit N] | metrics
//   brokerctl trace ID [--seconds N]  the actor's messages as they come, until the trace ends
//   brokerctl halt SYMBOL --reason R [--yes]     asks before it acts, unless --yes
//   brokerctl resume SYMBOL [--yes]
//
// --admin URL (default http://127.0.0.1:8081, or $BROKERCTL_ADMIN) picks the node.
// Exit codes: 0 done, 1 refused or failed (the server's error is printed), 2 bad usage.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <simdjson.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

struct invocation {
  std::string admin = std::getenv("BROKERCTL_ADMIN") ? std::getenv("BROKERCTL_ADMIN") : "http://127.0.0.1:8081";
  std::string token_file = std::string{std::getenv("HOME") ? std::getenv("HOME") : "."} + "/.brokerctl-token";
  std::vector<std::string> words;            // the command and its arguments
  std::map<std::string, std::string> flags;  // --name value
  bool yes = false, once = false;
};

struct answer {
  int status = 0;
  std::string body;
};

// One request on its own connection: brokerctl is a person's tool, not a load.
answer call(const invocation& inv, const std::string& method, const std::string& target,
            const std::string& body = "", const std::string& token = "") {
  std::string rest = inv.admin.rfind("http://", 0) == 0 ? inv.admin.substr(7) : inv.admin;
  while (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  auto colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
  std::string port = colon == std::string::npos ? "8081" : rest.substr(colon + 1);
  boost::asio::io_context ioc;
  tcp::resolver resolver{ioc};
  boost::beast::tcp_stream stream{ioc};
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(resolver.resolve(host, port));
  http::request<http::string_body> req{method == "POST" ? http::verb::post : http::verb::get, target, 11};
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "brokerctl");
  if (!token.empty())
    req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(stream, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  boost::beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return {static_cast<int>(res.result_int()), res.body()};
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string read_token(const invocation& inv) {
  std::ifstream in{inv.token_file};
  std::string t;
  std::getline(in, t);
  return t;
}

// The server's error, as a person reads it; 1 for the exit code.
int refused(const answer& a) {
  simdjson::dom::parser p;
  simdjson::dom::element e;
  std::string_view code, message;
  if (!p.parse(a.body).get(e) && !e["error"]["code"].get(code) && !e["error"]["message"].get(message))
    std::cerr << "brokerctl: " << a.status << " " << code << ": " << message << "\n";
  else
    std::cerr << "brokerctl: " << a.status << " " << a.body << "\n";
  if (a.status == 401)
    std::cerr << "brokerctl: log in again: brokerctl login NAME\n";
  return 1;
}

std::string field_text(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::STRING: return std::string{e.get_string().value()};
    case simdjson::dom::element_type::INT64: return std::to_string(e.get_int64().value());
    case simdjson::dom::element_type::UINT64: return std::to_string(e.get_uint64().value());
    case simdjson::dom::element_type::DOUBLE: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f", e.get_double().value());
      return buf;
    }
    case simdjson::dom::element_type::BOOL: return e.get_bool().value() ? "true" : "false";
    case simdjson::dom::element_type::NULL_VALUE: return "-";
    default: return simdjson::minify(e);
  }
}

// The actor table as `top` draws it.
std::string actor_table(const std::string& body) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(body).get(doc))
    return "unreadable answer\n";
  std::ostringstream out;
  out << "actors: " << field_text(doc["matched"]) << " of " << field_text(doc["total"]) << " (sort "
      << field_text(doc["sort"]) << ")  ";
  for (auto [k, v] : doc["kinds"].get_object())
    out << k << " " << field_text(v) << "  ";
  out << "\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%8s  %-14s %-14s %8s %9s %11s %11s %9s %4s\n", "ID", "KIND", "KEY", "MAILBOX",
                "MSG/S", "MESSAGES", "HANDLER_MS", "IDLE_MS", "RST");
  out << line;
  for (auto a : doc["actors"].get_array()) {
    std::snprintf(line, sizeof line, "%8s  %-14s %-14.14s %8s %9s %11s %11.11s %9s %4s\n", field_text(a["id"]).c_str(),
                  field_text(a["kind"]).c_str(), field_text(a["key"]).c_str(), field_text(a["mailbox"]).c_str(),
                  field_text(a["messagesPerSecond"]).c_str(), field_text(a["messages"]).c_str(),
                  field_text(a["handlerMs"]).c_str(), field_text(a["idleMs"]).c_str(), field_text(a["restarts"]).c_str());
    out << line;
  }
  return out.str();
}

void print_tree(simdjson::dom::element n, int depth) {
  std::cout << std::string(static_cast<size_t>(depth) * 2, ' ') << field_text(n["kind"]);
  if (auto key = field_text(n["key"]); !key.empty())
    std::cout << " " << key;
  int64_t id = 0, restarts = 0, children = 0;
  if (!n["id"].get(id) && id != 0)
    std::cout << " #" << id;
  if (!n["restarts"].get(restarts) && restarts > 0)
    std::cout << " (restarts " << restarts << ")";
  if (n["childCount"].get(children))
    children = 0;
  simdjson::dom::array shown;
  if (n["children"].get(shown))
    shown = {};
  if (children > static_cast<int64_t>(shown.size()))
    std::cout << " [" << children << " children, " << shown.size() << " shown]";
  std::cout << "\n";
  for (auto c : shown)
    print_tree(c, depth + 1);
}

// A yes from the terminal, unless --yes said it already.
bool confirmed(const invocation& inv, const std::string& question) {
  if (inv.yes)
    return true;
  std::cout << question << " [y/N] " << std::flush;
  std::string reply;
  std::getline(std::cin, reply);
  return reply == "y" || reply == "Y" || reply == "yes";
}

// Waits up to `ms` for a key on stdin; true if it was q.
bool quit_key(int ms) {
  fd_set in;
  FD_ZERO(&in);
  FD_SET(STDIN_FILENO, &in);
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  if (select(STDIN_FILENO + 1, &in, nullptr, nullptr, &tv) <= 0)
    return false;
  char c = 0;
  return ::read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q');
}

// Shows GET `query`, rendered by `render`, redrawn every second until q (or
// once, with --once).
int redraw(const invocation& inv, const std::string& token, const std::string& query,
           std::string (*render)(const std::string&)) {
  termios saved{};
  bool raw = !inv.once && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (raw) { // keys one at a time, unechoed, so q ends it at once
    termios t = saved;
    t.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
  }
  int rc = 0;
  for (;;) {
    auto a = call(inv, "GET", query, "", token);
    if (a.status != 200) {
      rc = refused(a);
      break;
    }
    if (!inv.once)
      std::cout << "\033[H\033[2J"; // home, clear
    std::cout << "brokerd " << inv.admin << "   (q quits)\n" << render(a.body) << std::flush;
    if (inv.once || quit_key(1000))
      break;
  }
  if (raw)
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  return rc;
}

int top(const invocation& inv, const std::string& token) {
  std::string query = "/admin/v1/actors?limit=" + (inv.flags.count("limit") ? inv.flags.at("limit") : "20");
  for (const char* f : {"sort", "kind", "key"})
    if (inv.flags.count(f))
      query += std::string{"&"} + f + "=" + inv.flags.at(f);
  return redraw(inv, token, query, actor_table);
}

// A sparkline of `values` in `width` cells (neighbouring slots averaged), each
// one of eight block heights scaled to the top value; unknown slots are blank.
std::string sparkline(const std::vector<std::optional<double>>& values, size_t width) {
  static const char* const blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                       "\u2585", "\u2586", "\u2587", "\u2588"};
  width = std::max<size_t>(1, std::min(width, values.size()));
  std::vector<std::optional<double>> cells(width);
  double top = 0;
  for (size_t c = 0; c < width; ++c) {
    size_t from = c * values.size() / width, to = (c + 1) * values.size() / width;
    double sum = 0;
    size_t known = 0;
    for (size_t i = from; i < to; ++i)
      if (values[i]) {
        sum += *values[i];
        ++known;
      }
    if (known > 0) {
      cells[c] = sum / static_cast<double>(known);
      top = std::max(top, *cells[c]);
    }
  }
  std::string out;
  for (auto& v : cells) {
    if (!v)
      out += " ";
    else
      out += blocks[top > 0 ? std::min<size_t>(7, static_cast<size_t>(*v / top * 7.999)) : 0];
  }
  return out;
}

std::vector<std::optional<double>> numbers(simdjson::dom::element array) {
  std::vector<std::optional<double>> out;
  for (auto v : array.get_array()) {
    double d = 0;
    if (v.is_null())
      out.emplace_back();
    else if (!v.get(d))
      out.emplace_back(d);
    else
      out.emplace_back(static_cast<double>(v.get_int64().value()));
  }
  return out;
}

// The mean of the last `n` known values.
double recent(const std::vector<std::optional<double>>& v, size_t n) {
  double sum = 0;
  size_t known = 0;
  for (size_t i = v.size() > n ? v.size() - n : 0; i < v.size(); ++i)
    if (v[i]) {
      sum += *v[i];
      ++known;
    }
  return known ? sum / static_cast<double>(known) : 0;
}

// GET /admin/v1/charts as text: the node's rates, then each endpoint's
// requests and latency over the last minute, with sparklines over the window.
std::string load_charts(const std::string& body) {
  simdjson::dom::parser p;
  auto doc = p.parse(body).value();
  double slot_s = doc["slotSeconds"].get_double().value();
  auto slots = static_cast<double>(doc["slots"].get_int64().value());
  size_t minute = std::max<size_t>(1, static_cast<size_t>(60 / slot_s + 0.5));
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line, "last %.0f min, one point per %g s; figures over the last minute\n\n",
                slots * slot_s / 60, slot_s);
  out << line;
  std::snprintf(line, sizeof line, "%-36s %9s  %s\n", "RATE (/s)", "LAST_MIN", "WINDOW");
  out << line;
  for (auto r : doc["rates"].get_array()) {
    auto v = numbers(r["perSecond"]);
    std::snprintf(line, sizeof line, "%-36s %9.1f  %s\n", field_text(r["name"]).c_str(), recent(v, minute),
                  sparkline(v, 45).c_str());
    out << line;
  }
  std::snprintf(line, sizeof line, "\n%-36s %9s %8s %8s %5s  %s\n", "ENDPOINT", "REQ/S", "P50_MS", "P99_MS", "5XX",
                "REQUESTS/S, WINDOW");
  out << line;
  for (auto e : doc["endpoints"].get_array()) {
    auto rate = numbers(e["perSecond"]), p50 = numbers(e["p50Ms"]), p99 = numbers(e["p99Ms"]);
    auto errors = numbers(e["serverErrors"]);
    // The minute's quantiles: each slot's, weighted by its requests.
    double weight = 0, w50 = 0, w99 = 0, errs = 0;
    for (size_t i = rate.size() > minute ? rate.size() - minute : 0; i < rate.size(); ++i) {
      double w = rate[i].value_or(0);
      weight += w;
      w50 += w * p50[i].value_or(0);
      w99 += w * p99[i].value_or(0);
      errs += errors[i].value_or(0);
    }
    std::string name = field_text(e["method"]) + " " + field_text(e["endpoint"]);
    std::snprintf(line, sizeof line, "%-36.36s %9.2f %8.2f %8.2f %5.0f  %s\n", name.c_str(), recent(rate, minute),
                  weight > 0 ? w50 / weight : 0, weight > 0 ? w99 / weight : 0, errs, sparkline(rate, 45).c_str());
    out << line;
  }
  return out.str();
}

// Starts a trace of one actor and prints its messages as they come, until
// the trace switches itself off (or q).
int trace(const invocation& inv, const std::string& token, const std::string& id) {
  std::string seconds = inv.flags.count("seconds") ? inv.flags.at("seconds") : "30";
  auto started = call(inv, "POST", "/admin/v1/actors/" + id + "/trace", "{\"seconds\":" + seconds + "}", token);
  if (started.status != 200)
    return refused(started);
  std::cout << "tracing actor " << id << " for " << seconds << " s (q stops watching)\n"
            << "   AGO_MS  TYPE                           SENDER  HANDLER_US\n" << std::flush;
  int64_t printed = 0;
  for (;;) {
    auto a = call(inv, "GET", "/admin/v1/actors/" + id + "/trace", "", token);
    if (a.status != 200)
      return refused(a);
    simdjson::dom::parser p;
    auto doc = p.parse(a.body).value();
    int64_t handled = doc["handled"].get_int64().value();
    auto messages = doc["messages"].get_array().value();
    int64_t kept = static_cast<int64_t>(messages.size());
    int64_t skip = kept - std::min<int64_t>(kept, handled - printed); // only the new ones
    int64_t i = 0;
    for (auto m : messages) {
      if (i++ < skip)
        continue;
      char line[256];
      std::snprintf(line, sizeof line, "%9s  %-30.30s %7s %11s\n", field_text(m["agoMs"]).c_str(),
                    field_text(m["type"]).c_str(), field_text(m["sender"]).c_str(), field_text(m["handlerUs"]).c_str());
      std::cout << line;
    }
    std::cout << std::flush;
    printed = handled;
    bool tracing = false;
    if (doc["tracing"].get(tracing) || !tracing || inv.once || quit_key(1000))
      break;
  }
  std::cout << "trace over: " << printed << " messages\n";
  return 0;
}

int usage() {
  std::cerr << "usage: brokerctl [--admin URL] [--token-file F] COMMAND\n"
               "  login NAME                    the password is read from stdin\n"
               "  top [--sort mailbox|messages|rate|handler|id] [--kind K] [--key K] [--limit N] [--once]\n"
               "  load [--once]                 requests per endpoint and the node's rates, 15 min\n"
               "  tree | show ID | trace ID [--seconds N] | halts | audit [--limit N] | metrics\n"
               "  halt SYMBOL --reason R [--yes] | resume SYMBOL [--yes]\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  invocation inv;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--yes" || a == "-y")
      inv.yes = true;
    else if (a == "--once")
      inv.once = true;
    else if (a.rfind("--", 0) == 0 && i + 1 < argc)
      inv.flags[a.substr(2)] = argv[++i];
    else if (a.rfind("--", 0) == 0)
      return usage();
    else
      inv.words.push_back(a);
  }
  if (inv.flags.count("admin"))
    inv.admin = inv.flags.at("admin");
  if (inv.flags.count("token-file"))
    inv.token_file = inv.flags.at("token-file");
  if (inv.words.empty())
    return usage();
  const std::string& cmd = inv.words[0];
  auto arg = [&](size_t i) { return inv.words.size() > i ? inv.words[i] : std::string{}; };
  try {
    if (cmd == "login") {
      if (arg(1).empty())
        return usage();
      std::string password;
      std::getline(std::cin, password);
      auto a = call(inv, "POST", "/admin/v1/login",
                    "{\"name\":" + json_string(arg(1)) + ",\"password\":" + json_string(password) + "}");
      if (a.status != 200)
        return refused(a);
      simdjson::dom::parser p;
      std::string_view token, expires;
      auto doc = p.parse(a.body);
      if (doc["token"].get(token) || doc["expiresAt"].get(expires))
        return refused(a);
      { // the token is a credential: readable by its owner only
        std::ofstream out{inv.token_file, std::ios::trunc};
        out << token << "\n";
      }
      ::chmod(inv.token_file.c_str(), 0600);
      std::cout << "logged in as " << arg(1) << " until " << expires << "\n";
      return 0;
    }
    auto token = read_token(inv);
    if (cmd == "top")
      return top(inv, token);
    if (cmd == "load")
      return redraw(inv, token, "/admin/v1/charts", load_charts);
    if (cmd == "trace")
      return arg(1).empty() ? usage() : trace(inv, token, arg(1));
    if (cmd == "metrics") {
      auto a = call(inv, "GET", "/metrics");
      std::cout << a.body;
      return a.status == 200 ? 0 : 1;
    }
    if (cmd == "tree" || cmd == "show" || cmd == "halts" || cmd == "audit") {
      std::string target = cmd == "tree"    ? "/admin/v1/tree"
                           : cmd == "show"  ? "/admin/v1/actors/" + arg(1)
                           : cmd == "halts" ? "/admin/v1/halts"
                                            : "/admin/v1/audit?limit=" + (inv.flags.count("limit") ? inv.flags.at("limit") : "20");
      if (cmd == "show" && arg(1).empty())
        return usage();
      auto a = call(inv, "GET", target, "", token);
      if (a.status != 200)
        return refused(a);
      simdjson::dom::parser p;
      auto doc = p.parse(a.body).value();
      if (cmd == "tree") {
        print_tree(doc, 0);
      } else if (cmd == "halts") {
        for (auto h : doc["halts"].get_array())
          std::cout << field_text(h["symbol"]) << "  " << field_text(h["reason"]) << "  (by "
                    << field_text(h["operator"]) << " since " << field_text(h["since"]) << ")\n";
      } else if (cmd == "audit") {
        for (auto e : doc["entries"].get_array())
          std::cout << field_text(e["id"]) << "  " << field_text(e["at"]) << "  " << field_text(e["operator"]) << "  "
                    << field_text(e["action"]) << "  " << field_text(e["target"]) << "  " << field_text(e["detail"])
                    << "  " << field_text(e["status"]) << "\n";
      } else { // show
        std::cout << simdjson::minify(doc["actor"]) << "\n" << simdjson::minify(doc["state"]) << "\n";
      }
      return 0;
    }
    if (cmd == "halt" || cmd == "resume") {
      if (arg(1).empty() || (cmd == "halt" && !inv.flags.count("reason")))
        return usage();
      std::string question = cmd == "halt" ? "Halt trading in " + arg(1) + "? New orders will be refused."
                                           : "Resume trading in " + arg(1) + "?";
      if (!confirmed(inv, question)) {
        std::cout << "nothing done\n";
        return 1;
      }
      std::string body = "{\"symbol\":" + json_string(arg(1)) + ",\"confirm\":true";
      if (cmd == "halt")
        body += ",\"reason\":" + json_string(inv.flags.at("reason"));
      auto a = call(inv, "POST", "/admin/v1/actions/" + cmd, body + "}", token);
      if (a.status != 200)
        return refused(a);
      std::cout << (cmd == "halt" ? "halted " : "resumed ") << arg(1) << "\n";
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "brokerctl: " << e.what() << " (is brokerd's console at " << inv.admin << "?)\n";
    return 1;
  }
  return usage();
}
