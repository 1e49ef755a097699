#include <catch2/catch.hpp>

#include "protocol/requests.hpp"

using namespace broker;

namespace {

template <class T>
request_error error_of(const parsed<T>& p) {
  REQUIRE(std::holds_alternative<request_error>(p));
  return std::get<request_error>(p);
}

template <class T>
T value_of(const parsed<T>& p) {
  if (auto e = std::get_if<request_error>(&p))
    FAIL("unexpected error " << e->code << " on " << e->field << ": " << e->message);
  return std::get<T>(p);
}

} // namespace

TEST_CASE("a well-formed order request parses, money exactly", "[requests]") {
  auto r = value_of(parse_place_order(
    R"({"symbol":"reliance","side":"BUY","orderType":"LIMIT","quantity":10,"price":2450.75})"));
  CHECK(r.symbol == "RELIANCE");
  CHECK(r.side == side::buy);
  CHECK(r.type == order_type::limit);
  CHECK(r.validity == validity::day);
  CHECK(r.quantity == 10);
  CHECK(r.price == 245075);
  // A decimal string is accepted too.
  auto s = value_of(parse_place_order(
    R"({"symbol":"TCS","side":"SELL","orderType":"SL","quantity":1,"price":"3850.10","triggerPrice":"3851.00","validity":"IOC"})"));
  CHECK(s.price == 385010);
  CHECK(s.trigger_price == 385100);
  CHECK(s.validity == validity::ioc);
}

TEST_CASE("bad order bodies name the field at fault", "[requests]") {
  struct bad_case {
    const char* body;
    const char* field;
    const char* code;
  };
  const bad_case cases[] = {
    {R"({"symbol":"TCS","side":"BUY","orderType":"MARKET","quantity":10)", "", "malformed_json"},
    {R"([1,2,3])", "", "malformed_json"},
    {R"("just a string")", "", "malformed_json"},
    {R"({"side":"BUY","orderType":"MARKET","quantity":10})", "symbol", "missing_field"},
    {R"({"symbol":"TCS","orderType":"MARKET","quantity":10})", "side", "missing_field"},
    {R"({"symbol":"TCS","side":"HOLD","orderType":"MARKET","quantity":10})", "side", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"FOO","quantity":10})", "orderType", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"MARKET","quantity":10,"validity":"GTC"})", "validity", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"MARKET","quantity":"10"})", "quantity", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"MARKET","quantity":1.5})", "quantity", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"MARKET","quantity":0})", "quantity", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"MARKET","quantity":-3})", "quantity", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"MARKET","quantity":100000000})", "quantity", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"MARKET","quantity":1e3})", "quantity", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"MARKET"})", "quantity", "missing_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"LIMIT","quantity":1})", "price", "missing_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"LIMIT","quantity":1,"price":-5})", "price", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"LIMIT","quantity":1,"price":0})", "price", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"LIMIT","quantity":1,"price":10.001})", "price", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"LIMIT","quantity":1,"price":true})", "price", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"LIMIT","quantity":1,"price":"abc"})", "price", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"LIMIT","quantity":1,"price":1e308})", "price", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"MARKET","quantity":1,"price":100})", "price", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"LIMIT","quantity":1,"price":100,"triggerPrice":99})", "triggerPrice", "invalid_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"SL-M","quantity":1})", "triggerPrice", "missing_field"},
    {R"({"symbol":"TCS","side":"BUY","orderType":"SL","quantity":1,"price":100,"triggerPrice":101})", "triggerPrice", "invalid_field"},
    {R"({"symbol":"TCS","side":"SELL","orderType":"SL","quantity":1,"price":100,"triggerPrice":99})", "triggerPrice", "invalid_field"},
    {R"({"symbol":7,"side":"BUY","orderType":"MARKET","quantity":1})", "symbol", "invalid_field"},
    {R"({"symbol":"","side":"BUY","orderType":"MARKET","quantity":1})", "symbol", "invalid_field"},
    {R"({"symbol":"TCS","symbol":"INFY","side":"BUY","orderType":"MARKET","quantity":1})", "", "malformed_json"},
  };
  for (auto& c : cases) {
    INFO(c.body);
    auto e = error_of(parse_place_order(c.body));
    CHECK(e.field == c.field);
    CHECK(e.code == c.code);
    CHECK_FALSE(e.message.empty());
  }
}

TEST_CASE("signup, login, KYC and transfer bodies are validated", "[requests]") {
  auto ok = value_of(parse_signup(
    R"({"email":"Asha@Example.com","password":"correct horse","name":"Asha","phone":"+919876543210"})"));
  CHECK(ok.email == "asha@example.com");
  CHECK(error_of(parse_signup(R"({"email":"nope","password":"correct horse","name":"A","phone":"9876543210"})")).field == "email");
  CHECK(error_of(parse_signup(R"({"email":"a@b.co","password":"short","name":"A","phone":"9876543210"})")).field == "password");
  CHECK(error_of(parse_signup(R"({"email":"a@b.co","password":"long enough","name":"A","phone":"12ab567890"})")).field == "phone");
  CHECK(error_of(parse_signup(R"({"email":"a@b.co","password":"long enough","phone":"9876543210"})")).field == "name");
  CHECK(error_of(parse_login(R"({"email":"a@b.co"})")).field == "password");

  CHECK(value_of(parse_kyc(R"({"pan":"ABCDE1234F","dateOfBirth":"2000-02-29","address":"1 Main Road"})")).pan == "ABCDE1234F");
  CHECK(error_of(parse_kyc(R"({"pan":"ABCDE1234F","dateOfBirth":"2001-02-29","address":"1 Main Road"})")).field == "dateOfBirth");
  CHECK(error_of(parse_kyc(R"({"pan":"ABCDE1234F","dateOfBirth":"1990/01/01","address":"1 Main Road"})")).field == "dateOfBirth");

  CHECK(value_of(parse_transfer(R"({"amount":100000.5})")).amount == 10000050);
  CHECK(value_of(parse_transfer(R"({"amount":"0.01"})")).amount == 1);
  for (const char* bad : {R"({"amount":0})", R"({"amount":-1})", R"({"amount":"1.005"})",
                          R"({"amount":null})", R"({"amount":[1]})", R"({"amount":99999999999999})"})
    CHECK(error_of(parse_transfer(bad)).field == "amount");
}

TEST_CASE("the idempotency digest tells requests apart", "[requests]") {
  auto a = value_of(parse_place_order(R"({"symbol":"TCS","side":"BUY","orderType":"LIMIT","quantity":1,"price":100})"));
  auto b = value_of(parse_place_order(R"({"quantity":1,"price":"100.00","orderType":"LIMIT","side":"BUY","symbol":"tcs"})"));
  auto c = value_of(parse_place_order(R"({"symbol":"TCS","side":"BUY","orderType":"LIMIT","quantity":2,"price":100})"));
  CHECK(digest(a) == digest(b)); // same meaning, different spelling
  CHECK(digest(a) != digest(c));
}
