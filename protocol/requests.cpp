#include "protocol/requests.hpp"

#include <algorithm>
#include <cctype>

#include "protocol/decimal.hpp"
#include "protocol/json_reader.hpp"
#include "protocol/watchlists.hpp"

namespace broker {

namespace {

request_error bad(std::string field, std::string message, std::string code = "invalid_field") {
  return request_error{std::move(code), std::move(message), std::move(field)};
}

request_error missing(std::string field) {
  return bad(field, field + " is required", "missing_field");
}

// Field readers: each returns the value or fills `err` (first error wins).
class field_reader {
public:
  explicit field_reader(const json_object& obj) : obj_(obj) {}

  std::optional<request_error> error;

  std::string text(const char* name, size_t min_len, size_t max_len, bool required = true) {
    auto* f = obj_.find(name);
    if (!f || f->type == json_field::kind::null) {
      if (required)
        set(missing(name));
      return {};
    }
    if (f->type != json_field::kind::string) {
      set(bad(name, std::string{name} + " must be a string"));
      return {};
    }
    if (f->text.size() < min_len || f->text.size() > max_len) {
      set(bad(name, std::string{name} + " must be " + std::to_string(min_len) + " to "
                      + std::to_string(max_len) + " characters"));
      return {};
    }
    return f->text;
  }

  // A whole number: a JSON integer, not a decimal, not a string.
  std::optional<int64_t> integer(const char* name, int64_t min, int64_t max) {
    auto* f = obj_.find(name);
    if (!f || f->type == json_field::kind::null) {
      set(missing(name));
      return std::nullopt;
    }
    if (f->type != json_field::kind::number) {
      set(bad(name, std::string{name} + " must be a whole number"));
      return std::nullopt;
    }
    auto v = parse_decimal(f->text, 0);
    if (!v) {
      set(bad(name, std::string{name} + " must be a whole number"));
      return std::nullopt;
    }
    if (*v < min || *v > max) {
      set(bad(name, std::string{name} + " must be between " + std::to_string(min) + " and "
                      + std::to_string(max)));
      return std::nullopt;
    }
    return v;
  }

  // Money: a JSON number or a decimal string, exact to the paisa, in (0, max].
  std::optional<money> amount(const char* name, money max, bool required = true) {
    auto* f = obj_.find(name);
    if (!f || f->type == json_field::kind::null) {
      if (required)
        set(missing(name));
      return std::nullopt;
    }
    if (f->type != json_field::kind::number && f->type != json_field::kind::string) {
      set(bad(name, std::string{name} + " must be a decimal number"));
      return std::nullopt;
    }
    auto v = parse_decimal(f->text, money_scale);
    if (!v) {
      set(bad(name, std::string{name} + " must be a decimal number with at most "
                      + std::to_string(money_scale) + " decimal places"));
      return std::nullopt;
    }
    if (*v <= 0) {
      set(bad(name, std::string{name} + " must be greater than zero"));
      return std::nullopt;
    }
    if (*v > max) {
      set(bad(name, std::string{name} + " must be at most " + format_decimal(max, money_scale)));
      return std::nullopt;
    }
    return v;
  }

  // An array of strings.
  std::vector<std::string> strings(const char* name, bool required = true) {
    auto* f = obj_.find(name);
    if (!f || f->type == json_field::kind::null) {
      if (required)
        set(missing(name));
      return {};
    }
    if (f->type != json_field::kind::array || !f->array_of_strings) {
      set(bad(name, std::string{name} + " must be an array of strings"));
      return {};
    }
    return f->strings;
  }

  bool boolean(const char* name) {
    auto* f = obj_.find(name);
    if (!f || f->type != json_field::kind::boolean) {
      set(bad(name, std::string{name} + " must be true or false"));
      return false;
    }
    return f->text == "true";
  }

  bool present(const char* name) const {
    auto* f = obj_.find(name);
    return f && f->type != json_field::kind::null;
  }

  void set(request_error e) {
    if (!error)
      error = std::move(e);
  }

private:
  const json_object& obj_;
};

template <class T, class Fill>
parsed<T> read_body(std::string_view body, Fill fill) {
  std::string why;
  auto obj = json_object::parse(body, &why);
  if (!obj)
    return bad("", why, "malformed_json");
  field_reader in{*obj};
  T out;
  fill(in, out);
  if (in.error)
    return *in.error;
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool valid_email(const std::string& e) {
  auto at = e.find('@');
  if (at == std::string::npos || at == 0 || e.find('@', at + 1) != std::string::npos)
    return false;
  auto dot = e.find('.', at);
  if (dot == std::string::npos || dot == at + 1 || dot + 1 == e.size())
    return false;
  return std::none_of(e.begin(), e.end(), [](unsigned char c) { return std::isspace(c) || c < 0x20; });
}

bool valid_phone(const std::string& p) {
  size_t start = (!p.empty() && p[0] == '+') ? 1 : 0;
  size_t digits = p.size() - start;
  return digits >= 10 && digits <= 15
         && std::all_of(p.begin() + static_cast<long>(start), p.end(),
                        [](unsigned char c) { return std::isdigit(c); });
}

// YYYY-MM-DD with a real calendar date.
bool valid_date(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-')
    return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(d[i])))
      return false;
  int y = std::stoi(d.substr(0, 4)), m = std::stoi(d.substr(5, 2)), day = std::stoi(d.substr(8, 2));
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || m < 1 || m > 12 || day < 1 || day > days[m - 1])
    return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && day == 29 && !leap);
}

template <class E>
std::optional<E> enum_field(field_reader& in, const char* name,
                            std::optional<E> (*parse)(std::string_view), const char* allowed,
                            bool required = true) {
  auto s = in.text(name, 1, 32, required);
  if (in.error || s.empty())
    return std::nullopt;
  auto v = parse(s);
  if (!v)
    in.set(bad(name, std::string{name} + " must be one of " + allowed));
  return v;
}

} // namespace

parsed<signup_request> parse_signup(std::string_view body) {
  return read_body<signup_request>(body, [](field_reader& in, signup_request& r) {
    r.email = lower(in.text("email", 3, 254));
    if (!in.error && !valid_email(r.email))
      in.set(bad("email", "email is not a valid address"));
    r.password = in.text("password", 8, 128);
    r.name = in.text("name", 1, 100);
    r.phone = in.text("phone", 10, 16);
    if (!in.error && !valid_phone(r.phone))
      in.set(bad("phone", "phone must be 10 to 15 digits, optionally starting with +"));
  });
}

parsed<login_request> parse_login(std::string_view body) {
  return read_body<login_request>(body, [](field_reader& in, login_request& r) {
    r.email = lower(in.text("email", 3, 254));
    r.password = in.text("password", 1, 128);
  });
}

parsed<kyc_request> parse_kyc(std::string_view body) {
  return read_body<kyc_request>(body, [](field_reader& in, kyc_request& r) {
    // The PAN's format is the KYC provider's check (a bad one is REJECTED, not a 400):
    // here only its shape as a field.
    r.pan = in.text("pan", 1, 20);
    r.date_of_birth = in.text("dateOfBirth", 10, 10);
    if (!in.error && !valid_date(r.date_of_birth))
      in.set(bad("dateOfBirth", "dateOfBirth must be a date as YYYY-MM-DD"));
    r.address = in.text("address", 5, 500);
  });
}

parsed<transfer_request> parse_transfer(std::string_view body) {
  return read_body<transfer_request>(body, [](field_reader& in, transfer_request& r) {
    if (auto a = in.amount("amount", max_transfer))
      r.amount = *a;
  });
}

parsed<alert_request> parse_alert(std::string_view body) {
  return read_body<alert_request>(body, [](field_reader& in, alert_request& r) {
    r.symbol = in.text("symbol", 1, 32);
    std::transform(r.symbol.begin(), r.symbol.end(), r.symbol.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    if (auto c = enum_field(in, "condition", parse_alert_condition, "ABOVE, BELOW"))
      r.condition = *c;
    if (auto p = in.amount("price", max_price))
      r.price = *p;
  });
}

parsed<watchlist_request> parse_watchlist(std::string_view body, watchlist_fields which) {
  return read_body<watchlist_request>(body, [which](field_reader& in, watchlist_request& r) {
    if (which != watchlist_fields::symbols_only && (which == watchlist_fields::create || in.present("name"))) {
      auto name = in.text("name", 1, max_watchlist_name_length);
      if (in.error)
        return;
      if (std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isspace(c); })) {
        in.set(bad("name", "name must not be blank"));
        return;
      }
      r.name = name;
    }
    bool symbols_required = which == watchlist_fields::symbols_only;
    if (symbols_required || in.present("symbols")) {
      auto list = in.strings("symbols", symbols_required);
      if (in.error)
        return;
      for (auto& s : list) {
        if (s.empty() || s.size() > 32) {
          in.set(bad("symbols", "each symbol must be 1 to 32 characters"));
          return;
        }
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
      }
      r.symbols = std::move(list);
    }
    if (which == watchlist_fields::update && !r.name && !r.symbols)
      in.set(bad("name", "give name, symbols or both", "missing_field"));
  });
}

parsed<mark_read_request> parse_mark_read(std::string_view body) {
  return read_body<mark_read_request>(body, [](field_reader& in, mark_read_request& r) {
    if (in.present("all")) {
      r.all = in.boolean("all");
      if (in.error)
        return;
      if (!r.all) {
        in.set(bad("all", "all must be true (or give ids)"));
        return;
      }
      if (in.present("ids"))
        in.set(bad("ids", "give ids or all, not both"));
      return;
    }
    // Ids as the API writes them: strings ("12").
    for (auto& id : in.strings("ids")) {
      auto v = parse_decimal(id, 0);
      if (!v || *v <= 0) {
        in.set(bad("ids", "ids must be positive whole numbers"));
        return;
      }
      r.ids.push_back(*v);
    }
    if (!in.error && (r.ids.empty() || r.ids.size() > 500))
      in.set(bad("ids", "ids must hold 1 to 500 notification ids"));
  });
}

parsed<place_order_request> parse_place_order(std::string_view body) {
  return read_body<place_order_request>(body, [](field_reader& in, place_order_request& r) {
    r.symbol = in.text("symbol", 1, 32);
    std::transform(r.symbol.begin(), r.symbol.end(), r.symbol.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    if (auto s = enum_field(in, "side", parse_side, "BUY, SELL"))
      r.side = *s;
    if (auto t = enum_field(in, "orderType", parse_order_type, "MARKET, LIMIT, SL, SL-M"))
      r.type = *t;
    if (auto v = enum_field(in, "validity", parse_validity, "DAY, IOC", false))
      r.validity = *v;
    if (auto q = in.integer("quantity", 1, max_order_quantity))
      r.quantity = *q;
    if (in.error)
      return;
    bool wants_price = r.type == order_type::limit || r.type == order_type::stop_limit;
    bool wants_trigger = r.type == order_type::stop_limit || r.type == order_type::stop_market;
    if (wants_price) {
      if (auto p = in.amount("price", max_price))
        r.price = *p;
    } else if (in.present("price")) {
      in.set(bad("price", "price is not allowed for " + std::string{to_string(r.type)} + " orders"));
    }
    if (wants_trigger) {
      if (auto t = in.amount("triggerPrice", max_price))
        r.trigger_price = *t;
    } else if (in.present("triggerPrice")) {
      in.set(bad("triggerPrice",
                 "triggerPrice is not allowed for " + std::string{to_string(r.type)} + " orders"));
    }
    if (in.error)
      return;
    // A stop-limit buy triggers at or below its limit; a sell at or above it.
    if (r.type == order_type::stop_limit) {
      bool consistent = r.side == side::buy ? r.trigger_price <= r.price : r.trigger_price >= r.price;
      if (!consistent)
        in.set(bad("triggerPrice", r.side == side::buy
                                     ? "triggerPrice must not be above price for a BUY SL order"
                                     : "triggerPrice must not be below price for a SELL SL order"));
    }
  });
}

std::string digest(const place_order_request& r) {
  std::string d;
  d.reserve(96);
  d += r.symbol;
  d += '|';
  d += to_string(r.side);
  d += '|';
  d += to_string(r.type);
  d += '|';
  d += to_string(r.validity);
  d += '|';
  d += std::to_string(r.quantity);
  d += '|';
  d += std::to_string(r.price);
  d += '|';
  d += std::to_string(r.trigger_price);
  return d;
}

} // namespace broker
