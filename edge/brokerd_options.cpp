#include "edge/brokerd_options.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>
#include <limits>
#include <sstream>

#include <caf/actor_system_config.hpp>
#include <caf/config_value.hpp>
#include <caf/settings.hpp>

#include "protocol/clock.hpp"
#include "protocol/decimal.hpp"

namespace broker::edge {

namespace {

// One option: how it is written, what it means, and how a value in text (from
// either source) becomes a setting and is shown back in the file's syntax.
struct option {
  std::string name;
  std::string placeholder; // "N", "PATH", ...; empty for a boolean
  std::string meaning;
  std::string accepts;     // what a refused value is told
  std::function<bool(brokerd_settings&, std::string_view)> set; // false: refused
  std::function<std::string(const brokerd_settings&)> show;
  bool is_boolean() const { return placeholder.empty(); }
};

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

// "20.00" -> "20", "0.030000" -> "0.03": the shortest exact form.
std::string trimmed(std::string decimal) {
  if (decimal.find('.') == std::string::npos)
    return decimal;
  while (decimal.back() == '0')
    decimal.pop_back();
  if (decimal.back() == '.')
    decimal.pop_back();
  return decimal;
}

std::optional<bool> parse_boolean(std::string_view v) {
  if (v == "true")
    return true;
  if (v == "false")
    return false;
  return std::nullopt;
}

template <class Int>
std::optional<Int> parse_whole(std::string_view v) {
  Int out{};
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || end != v.data() + v.size() || v.empty() || v.front() == '+')
    return std::nullopt;
  return out;
}

template <class Int>
using field = Int brokerd_settings::*;

option boolean(std::string name, std::string meaning, field<bool> f) {
  return {std::move(name), "", std::move(meaning), "true or false",
          [f](brokerd_settings& s, std::string_view v) {
            auto b = parse_boolean(v);
            if (b)
              s.*f = *b;
            return b.has_value();
          },
          [f](const brokerd_settings& s) { return std::string{s.*f ? "true" : "false"}; }};
}

template <class Int>
option whole(std::string name, std::string placeholder, std::string meaning, field<Int> f,
             Int min = 0, Int max = std::numeric_limits<Int>::max()) {
  // "at least" where the top is only the type's, not a rule of the option.
  std::string accepts = max == std::numeric_limits<Int>::max() && sizeof(Int) >= sizeof(int)
                          ? "a whole number, at least " + std::to_string(min)
                          : "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  return {std::move(name), std::move(placeholder), std::move(meaning), std::move(accepts),
          [f, min, max](brokerd_settings& s, std::string_view v) {
            auto n = parse_whole<Int>(v);
            if (!n || *n < min || *n > max)
              return false;
            s.*f = *n;
            return true;
          },
          [f](const brokerd_settings& s) { return std::to_string(s.*f); }};
}

option text(std::string name, std::string placeholder, std::string meaning, field<std::string> f) {
  return {std::move(name), std::move(placeholder), std::move(meaning), "any text",
          [f](brokerd_settings& s, std::string_view v) {
            s.*f = std::string{v};
            return true;
          },
          [f](const brokerd_settings& s) { return quoted(s.*f); }};
}

// `amount` picks the field out of the settings, const or not.
template <class Amount>
option rupees(std::string name, std::string meaning, Amount amount) {
  return {std::move(name), "X", std::move(meaning),
          "an amount in rupees, at least 0, with at most two decimals (\"500\", \"99.50\")",
          [amount](brokerd_settings& s, std::string_view v) {
            auto m = parse_decimal(v, money_scale);
            if (!m || *m < 0)
              return false;
            amount(s) = *m;
            return true;
          },
          [amount](const brokerd_settings& s) {
            return quoted(trimmed(format_decimal(amount(s), money_scale)));
          }};
}

// A charge rate, kept in the fee schedule as parts per 10^8.
option percent(std::string name, std::string meaning, int64_t fee_schedule::*rate) {
  return {std::move(name), "X", std::move(meaning),
          "a percentage from 0 to 100 with at most six decimals (\"0.03\", \"18\")",
          [rate](brokerd_settings& s, std::string_view v) {
            auto r = parse_percent_rate(std::string{v});
            if (r)
              s.fees.*rate = *r;
            return r.has_value();
          },
          [rate](const brokerd_settings& s) {
            return quoted(trimmed(format_decimal(s.fees.*rate, 6)));
          }};
}

// "2026-01-26,2026-08-15" (the file's list arrives joined the same way).
option dates(std::string name, std::string placeholder, std::string meaning,
             field<std::vector<std::string>> f) {
  return {std::move(name), std::move(placeholder), std::move(meaning),
          "dates as YYYY-MM-DD, separated by commas (or a list in the file)",
          [f](brokerd_settings& s, std::string_view v) {
            std::vector<std::string> days;
            while (!v.empty()) {
              auto comma = v.find(',');
              auto day = v.substr(0, comma);
              while (!day.empty() && day.front() == ' ')
                day.remove_prefix(1);
              while (!day.empty() && day.back() == ' ')
                day.remove_suffix(1);
              if (day.size() != 10 || !parse_iso_time(day))
                return false;
              days.emplace_back(day);
              v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
            }
            s.*f = std::move(days);
            return true;
          },
          [f](const brokerd_settings& s) {
            std::string out = "[";
            for (const auto& d : s.*f)
              out += (out.size() > 1 ? ", " : "") + quoted(d);
            return out + "]";
          }};
}

const std::vector<option>& option_table() {
  using s = brokerd_settings;
  static const std::vector<option> table{
    text("config", "F", "configuration file read before the command line (\"\": none)", &s::config_file),
    whole<uint16_t>("port", "P", "TCP port; 0 picks a free one (printed on start)", &s::port),
    text("address", "A", "listen address", &s::address),
    text("data-dir", "D", "the SQLite database (broker.db) and the token signing key (token.key)",
         &s::data_dir),
    text("instruments", "F", "instrument master CSV: symbol, name, tick, lot, reference price, band %",
         &s::instruments),
    text("indices", "F", "index definitions CSV (\"\": none)", &s::indices),
    whole<int>("io-threads", "N", "HTTP/WebSocket I/O threads", &s::io_threads, 1, 64),
    boolean("market-always-open", "true: accept orders at any hour; false: follow the calendar",
            &s::market_always_open),
    dates("market-holidays", "D,D,...", "exchange holidays, local dates", &s::market_holidays),
    whole<size_t>("kyc-delay-ms", "N",
                  "simulated KYC provider: 0 answers at once, else PENDING then a verdict after N ms",
                  &s::kyc_delay_ms),
    rupees("payment-fail-above", "simulated payment gateway declines amounts above X rupees (0: never)",
           [](auto& st) -> auto& { return st.payment_fail_above; }),
    whole<size_t>("token-ttl-seconds", "N", "login token lifetime (0: expired when issued, for tests)",
                  &s::token_ttl_seconds),
    text("admin-address", "A", "operator console listen address (\"\": no console)", &s::admin_address),
    whole<uint16_t>("admin-port", "P", "operator console TCP port; 0 picks a free one (printed on start)",
                    &s::admin_port),
    whole<size_t>("admin-token-ttl-seconds", "N", "operator login token lifetime",
                  &s::admin_token_ttl_seconds),
    whole<int>("console-chart-slot-seconds", "N",
               "the console's charts: one point per N seconds, 90 points (10: the last 15 minutes)",
               &s::console_chart_slot_seconds, 1, 60),
    {"password-cost", "C", "argon2id cost: interactive (libsodium's) or min (tests only)",
     "interactive or min",
     [](brokerd_settings& st, std::string_view v) {
       if (v != "interactive" && v != "min")
         return false;
       st.password_cost_minimum = v == "min";
       return true;
     },
     [](const brokerd_settings& st) { return quoted(st.password_cost_minimum ? "min" : "interactive"); }},
    boolean("sqlite-sync-full", "fsync every commit (synchronous=FULL); false: NORMAL", &s::sqlite_sync_full),
    text("database-url", "U", "keep the books in PostgreSQL (a libpq URI) instead of SQLite (\"\": SQLite)",
         &s::database_url),
    whole<size_t>("database-wait-seconds", "N", "at start, retry an unreachable PostgreSQL this long",
                  &s::database_wait_seconds),
    whole<size_t>("store-retry-min-ms", "N",
                  "after a failed commit, writes are refused (503) this long before the store is tried again",
                  &s::store_retry_min_ms, 1),
    whole<size_t>("store-retry-max-ms", "N", "the retry back-off doubles up to this", &s::store_retry_max_ms, 1),
    whole<int>("persistence-nice", "N",
               "nice value of the commit thread (below 0 needs root or CAP_SYS_NICE; 0: leave it)",
               &s::persistence_nice, -20, 19),
    boolean("lock-memory", "mlockall: populate pages as mapped, never swap (needs root or CAP_IPC_LOCK)",
            &s::lock_memory),
    whole<size_t>("prefault-memory-mib", "N", "pre-touch N MiB at start for the books to grow into (0: off)",
                  &s::prefault_memory_mib),
    whole<uint64_t>("seed", "N", "seed of the simulated market's random walk", &s::seed),
    whole<size_t>("quote-interval-ms", "N", "how often the simulated market maker requotes",
                  &s::quote_interval_ms, 1),
    whole<size_t>("conflation-ms", "N", "a WebSocket client gets each symbol's latest quote at most this often",
                  &s::conflation_ms, 1),
    whole<size_t>("ws-max-symbols", "N", "symbols one WebSocket connection may follow", &s::ws_max_symbols, 1),
    whole<size_t>("ws-max-connections-per-user", "N", "signed-in WebSocket connections one user may hold",
                  &s::ws_max_connections_per_user, 1),
    whole<size_t>("feed-ticks-per-second", "N",
                  "load testing: a synthetic feed of N trades/s over every instrument (0: off)",
                  &s::feed_ticks_per_second),
    {"exchange", "L", "the exchange link: sim (in-process simulated exchange) or fix://HOST:PORT (FIX 4.4)",
     "sim or fix://HOST:PORT, PORT from 1 to 65535",
     [](brokerd_settings& st, std::string_view v) {
       if (v == "sim") {
         st.exchange_is_fix = false;
         return true;
       }
       constexpr std::string_view scheme = "fix://";
       if (v.substr(0, scheme.size()) != scheme)
         return false;
       auto rest = v.substr(scheme.size());
       auto colon = rest.rfind(':');
       if (colon == std::string_view::npos || colon == 0)
         return false;
       auto port = parse_whole<uint16_t>(rest.substr(colon + 1));
       if (!port || *port == 0)
         return false;
       st.exchange_is_fix = true;
       st.fix_host = std::string{rest.substr(0, colon)};
       st.fix_port = *port;
       return true;
     },
     [](const brokerd_settings& st) {
       return quoted(st.exchange_is_fix ? "fix://" + st.fix_host + ":" + std::to_string(st.fix_port) : "sim");
     }},
    text("fix-sender-comp-id", "ID", "the broker's SenderCompID on a FIX link", &s::fix_sender_comp_id),
    text("fix-target-comp-id", "ID", "the exchange's CompID (TargetCompID) on a FIX link", &s::fix_target_comp_id),
    text("fix-market-data-comp-id", "ID",
         "the exchange's CompID on the FIX link's market data session (empty: no market data over FIX)",
         &s::fix_market_data_comp_id),
    {"fix-begin-string", "V", "the FIX version of the link: FIX.4.4, or FIX.4.2 (QuickFIX's ordermatch example)",
     "FIX.4.4 or FIX.4.2",
     [](brokerd_settings& st, std::string_view v) {
       if (v != "FIX.4.4" && v != "FIX.4.2")
         return false;
       st.fix_begin_string = std::string{v};
       return true;
     },
     [](const brokerd_settings& st) { return quoted(st.fix_begin_string); }},
    whole<size_t>("stuck-order-check-ms", "N", "how often to look for orders stuck in PENDING or PENDING_CANCEL",
                  &s::stuck_order_check_ms, 10),
    whole<size_t>("stuck-order-after-ms", "N", "an order stuck this long is asked about at the exchange again",
                  &s::stuck_order_after_ms, 10),
    percent("brokerage-percent", "brokerage per order, percent of its traded value", &fee_schedule::brokerage_rate),
    rupees("brokerage-max", "brokerage cap per order, rupees (0: no cap)",
           [](auto& st) -> auto& { return st.fees.brokerage_max; }),
    percent("stt-percent", "securities transaction tax, percent, buy and sell", &fee_schedule::stt_rate),
    percent("exchange-charges-percent", "exchange transaction charges, percent", &fee_schedule::exchange_rate),
    percent("sebi-fees-percent", "SEBI turnover fee, percent", &fee_schedule::sebi_rate),
    percent("stamp-duty-percent", "stamp duty, percent, buy side", &fee_schedule::stamp_rate),
    percent("gst-percent", "GST on brokerage + exchange + SEBI charges, percent", &fee_schedule::gst_rate),
    whole<size_t>("settlement-days", "N",
                  "sale proceeds buy at once but are withdrawable T+N business days later",
                  &s::settlement_days, 0, 30),
    {"cost-basis", "M", "which lots a sale consumes first: FIFO or LIFO", "FIFO or LIFO",
     [](brokerd_settings& st, std::string_view v) {
       auto m = parse_cost_basis_method(v);
       if (m)
         st.cost_basis = *m;
       return m.has_value();
     },
     [](const brokerd_settings& st) { return quoted(std::string{to_string(st.cost_basis)}); }},
    whole<size_t>("long-term-after-days", "N", "tax report: a gain is long-term when its lot was held longer",
                  &s::long_term_after_days),
    whole<size_t>("tax-year-start-month", "M", "tax report: the tax year starts on the 1st of month M (India: 4)",
                  &s::tax_year_start_month, 1, 12),
  };
  return table;
}

const option* find_option(std::string_view name) {
  for (const auto& o : option_table())
    if (o.name == name)
      return &o;
  return nullptr;
}

std::string refused(const std::string& where, const option& o, std::string_view value) {
  return where + o.name + ": \"" + std::string{value} + "\" is not accepted; it takes " + o.accepts
         + " (see brokerd --help)";
}

// A value of the file as the text the command line would give.
std::optional<std::string> as_text(const caf::config_value& v) {
  if (auto s = caf::get_if<std::string>(&v))
    return *s;
  if (auto b = caf::get_if<bool>(&v))
    return std::string{*b ? "true" : "false"};
  if (auto i = caf::get_if<caf::config_value::integer>(&v))
    return std::to_string(*i);
  if (auto r = caf::get_if<double>(&v)) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *r); // shortest exact: 0.03 stays "0.03"
    if (ec != std::errc{})
      return std::nullopt;
    return std::string{buf, end};
  }
  if (auto l = caf::get_if<caf::config_value::list>(&v)) {
    std::string joined;
    for (const auto& item : *l) {
      auto t = as_text(item);
      if (!t)
        return std::nullopt;
      joined += (joined.empty() ? "" : ",") + *t;
    }
    return joined;
  }
  return std::nullopt;
}

// The file's top level is brokerd's; its sections ([scheduler], ...) are CAF's.
std::string read_file(const std::string& path, brokerd_settings& s) {
  auto content = caf::actor_system_config::parse_config_file(path.c_str());
  if (!content)
    return path + ": cannot be read as a configuration file: " + caf::to_string(content.error());
  for (const auto& [key, value] : *content) {
    if (caf::holds_alternative<caf::settings>(value))
      continue;
    auto o = find_option(key);
    if (o == nullptr)
      return path + ": unknown option \"" + key + "\" (see brokerd --help for the list)";
    if (o->name == "config")
      return path + ": config can be given on the command line only";
    auto t = as_text(value);
    if (!t || !o->set(s, *t))
      return refused(path + ": ", *o, t ? *t : caf::to_string(value));
  }
  return {};
}

// Rules between options, whichever source set them.
std::string check_together(const brokerd_settings& s) {
  if (s.store_retry_max_ms < s.store_retry_min_ms)
    return "store-retry-max-ms (" + std::to_string(s.store_retry_max_ms) + ") is below store-retry-min-ms ("
           + std::to_string(s.store_retry_min_ms) + ") (see brokerd --help)";
  if (s.fees.effective_rate() >= rate_denominator)
    return "the charges (brokerage-percent, stt-percent, exchange-charges-percent, sebi-fees-percent, "
           "stamp-duty-percent with gst-percent) add up to 100% of a trade or more; a sale would pay more "
           "than it brings";
  return {};
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

} // namespace

brokerd_invocation read_brokerd_options(const std::vector<std::string>& args, const std::string& config_dir) {
  brokerd_invocation out;
  auto& s = out.settings;
  s.config_file = config_dir + "/brokerd.ini";
  s.instruments = config_dir + "/instruments.csv";
  s.indices = config_dir + "/indices.csv";
  auto fail = [&out](std::string why) {
    out.error = std::move(why);
    return out;
  };

  // Split the command line into (option, value) pairs first: --config must be
  // known before the file is read, and the file comes before the rest.
  struct given {
    const option* opt;
    std::string value;
  };
  std::vector<given> given_options;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      out.what = brokerd_invocation::action::help;
      continue;
    }
    if (a == "--print-config") {
      out.what = brokerd_invocation::action::print_config;
      continue;
    }
    if (a == "--add-operator" || starts_with(a, "--add-operator=")) {
      out.what = brokerd_invocation::action::add_operator;
      if (a.size() > 15)
        out.operator_name = std::string{a.substr(15)};
      else if (i + 1 < args.size() && !starts_with(args[i + 1], "--"))
        out.operator_name = args[++i];
      if (out.operator_name.empty() || out.operator_name.size() > 64)
        return fail("--add-operator needs a NAME of 1 to 64 characters");
      continue;
    }
    if (!starts_with(a, "--"))
      return fail("unexpected argument \"" + std::string{a} + "\": options start with -- (see brokerd --help)");
    auto eq = a.find('=');
    std::string name{a.substr(2, eq == std::string_view::npos ? std::string_view::npos : eq - 2)};
    std::optional<std::string> value;
    if (eq != std::string_view::npos)
      value = std::string{a.substr(eq + 1)};
    if (name.find('.') != std::string::npos || starts_with(name, "caf#")) {
      if (!value && i + 1 < args.size() && !starts_with(args[i + 1], "--"))
        value = args[++i];
      if (!value)
        return fail("--" + name + " needs a value: --" + name + "=VALUE");
      out.caf_arguments.push_back("--" + name + "=" + *value);
      continue;
    }
    auto o = find_option(name);
    if (o == nullptr && starts_with(name, "no-") && !value) {
      auto negated = find_option(name.substr(3));
      if (negated != nullptr && negated->is_boolean()) {
        given_options.push_back({negated, "false"});
        continue;
      }
    }
    if (o == nullptr)
      return fail("unknown option --" + name + " (see brokerd --help for the list)");
    if (!value) {
      if (o->is_boolean()) {
        value = "true";
        if (i + 1 < args.size() && parse_boolean(args[i + 1]))
          value = args[++i];
      } else if (i + 1 < args.size() && !starts_with(args[i + 1], "--")) {
        value = args[++i];
      } else {
        return fail("--" + name + " needs a value: --" + name + "=" + o->placeholder + " or --" + name + " "
                    + o->placeholder + "; it takes " + o->accepts + " (see brokerd --help)");
      }
    }
    given_options.push_back({o, std::move(*value)});
  }

  for (const auto& g : given_options)
    if (g.opt->name == "config" && !g.opt->set(s, g.value))
      return fail(refused("--", *g.opt, g.value));
  if (!s.config_file.empty()) {
    if (!std::filesystem::exists(s.config_file))
      return fail("--config: " + s.config_file + " does not exist (\"\": read no file)");
    if (auto e = read_file(s.config_file, s); !e.empty())
      return fail(e);
  }
  out.defaults = s;
  for (const auto& g : given_options)
    if (!g.opt->set(s, g.value))
      return fail(refused("--", *g.opt, g.value));
  if (auto e = check_together(s); !e.empty())
    return fail(e);
  return out;
}

std::string brokerd_help(const brokerd_settings& defaults) {
  std::ostringstream out;
  out << "brokerd: a stock broker backend (one node: HTTP/WebSocket, accounts, the simulated exchange)\n\n"
         "usage: brokerd [--name=value | --name value]... [--print-config | --add-operator NAME] [--help]\n\n"
         "Each option can also be set in the configuration file (--config, read first) as name=value;\n"
         "the command line wins. Booleans: --name, --name=true|false, --no-name. The defaults shown\n"
         "are those in effect before the command line (built in, then the file).\n\n";
  for (const auto& o : option_table()) {
    std::string left = "--" + o.name + (o.is_boolean() ? "[=true|false]" : "=" + o.placeholder);
    out << "  " << left << std::string(left.size() < 36 ? 36 - left.size() : 1, ' ') << o.meaning
        << " (default: " << o.show(defaults) << ")\n";
  }
  out << "  --print-config" << std::string(22, ' ')
      << "print the configuration these options make, in the file's syntax, and exit\n"
      << "  --add-operator NAME" << std::string(17, ' ')
      << "create an operator console account; its password is read from stdin\n"
      << "  --help" << std::string(30, ' ') << "print this and exit\n\n"
      << "CAF's own settings are given the same way with their dotted names, e.g.\n"
         "--scheduler.max-threads=2 or --work-stealing.moderate-sleep-duration=1ms, or in the file's\n"
         "[scheduler] and [work-stealing] sections.\n";
  return out.str();
}

std::string brokerd_config_text(const brokerd_settings& settings) {
  // The file a configuration came from is not itself a setting of a file.
  std::string out = "; brokerd's configuration"
                    + (settings.config_file.empty() ? std::string{} : " (read from " + settings.config_file + ")")
                    + "\n[global]\n";
  for (const auto& o : option_table())
    if (o.name != "config")
      out += o.name + "=" + o.show(settings) + "\n";
  return out;
}

} // namespace broker::edge
