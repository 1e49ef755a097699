#pragma once
// A small streaming JSON writer. Money goes out through `money_field`, which
// writes an exact decimal number (2450.75) from minor units: never a double.
#include <cstdint>
#include <string>
#include <string_view>

namespace broker {

class json_writer {
public:
  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& key(std::string_view k);
  json_writer& value(std::string_view s);
  json_writer& value(const char* s) { return value(std::string_view{s}); }
  json_writer& value(int64_t n);
  json_writer& value(int n) { return value(static_cast<int64_t>(n)); }
  json_writer& value(bool b);
  json_writer& null();
  json_writer& money_value(int64_t minor); // exact decimal, money_scale digits
  json_writer& raw(std::string_view json);  // an already-encoded JSON value
  json_writer& iso_time(int64_t ns_since_epoch); // "2026-01-21T10:30:00.123Z"

  template <class T>
  json_writer& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  json_writer& money_field(std::string_view k, int64_t minor) {
    key(k);
    return money_value(minor);
  }
  json_writer& time_field(std::string_view k, int64_t ns) {
    key(k);
    return iso_time(ns);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

private:
  void separate(); // writes ',' between siblings
  std::string out_;
  bool need_comma_ = false;
};

std::string format_iso_time(int64_t ns_since_epoch);
void append_json_escaped(std::string& out, std::string_view s);

} // namespace broker
