#pragma once
// Request bodies, validated into typed commands. Shape errors (malformed JSON,
// wrong types, missing fields, absurd values, unknown enum names) are found
// here, before anything reaches an actor: the caller answers 400 with the
// field named and nothing changes.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/alerts.hpp"
#include "protocol/types.hpp"

namespace broker {

struct request_error {
  std::string code;    // machine-readable: "invalid_field", "missing_field", "malformed_json"
  std::string message; // for a person
  std::string field;   // the offending field, empty when the body as a whole is wrong
};

template <class T>
using parsed = std::variant<T, request_error>;

struct signup_request {
  std::string email; // lower-cased
  std::string password;
  std::string name;
  std::string phone;
};

struct login_request {
  std::string email;
  std::string password;
};

struct kyc_request {
  std::string pan;
  std::string date_of_birth;
  std::string address;
};

struct transfer_request {
  money amount = 0;
};

struct place_order_request {
  std::string symbol; // upper-cased
  broker::side side = side::buy;
  order_type type = order_type::market;
  broker::validity validity = validity::day;
  int64_t quantity = 0;
  money price = 0;
  money trigger_price = 0;
};

struct alert_request {
  std::string symbol; // upper-cased
  alert_condition condition = alert_condition::above;
  money price = 0;
};

// POST /v1/watchlists {name, symbols?}; PUT /v1/watchlists/{id} {name?, symbols?}
// (at least one); POST /v1/watchlists/{id}/symbols {symbols}.
struct watchlist_request {
  std::optional<std::string> name;               // 1..40 bytes, not blank
  std::optional<std::vector<std::string>> symbols; // upper-cased
};

// POST /v1/notifications/read {ids: [...]} or {all: true}.
struct mark_read_request {
  std::vector<int64_t> ids;
  bool all = false;
};

// Upper bounds that make a value absurd rather than merely unaffordable.
constexpr int64_t max_order_quantity = 10'000'000;
constexpr money max_price = 100'000'000'00;    // 10 crore rupees a share
constexpr money max_transfer = 10'000'000'000'00; // 1000 crore rupees

parsed<signup_request> parse_signup(std::string_view body);
parsed<login_request> parse_login(std::string_view body);
parsed<kyc_request> parse_kyc(std::string_view body);
parsed<transfer_request> parse_transfer(std::string_view body);
parsed<place_order_request> parse_place_order(std::string_view body);
parsed<alert_request> parse_alert(std::string_view body);
enum class watchlist_fields { create, update, symbols_only };
parsed<watchlist_request> parse_watchlist(std::string_view body, watchlist_fields which);
parsed<mark_read_request> parse_mark_read(std::string_view body);

// A canonical text of an order request: equal requests give equal digests, so
// an Idempotency-Key replayed with a different body is detected.
std::string digest(const place_order_request& r);

} // namespace broker
