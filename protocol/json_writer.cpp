#include "protocol/json_writer.hpp"

#include <cstdio>
#include <ctime>

#include "protocol/decimal.hpp"
#include "protocol/types.hpp"

namespace broker {

void append_json_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string format_iso_time(int64_t ns) {
  int64_t secs = ns / 1'000'000'000;
  int64_t millis = (ns % 1'000'000'000) / 1'000'000;
  if (millis < 0) { // before 1970: borrow a second
    millis += 1000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

void json_writer::separate() {
  if (need_comma_)
    out_ += ',';
}

json_writer& json_writer::begin_object() {
  separate();
  out_ += '{';
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::end_object() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::begin_array() {
  separate();
  out_ += '[';
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::end_array() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::key(std::string_view k) {
  separate();
  append_json_escaped(out_, k);
  out_ += ':';
  need_comma_ = false; // the value that follows takes no comma
  return *this;
}

json_writer& json_writer::value(std::string_view s) {
  separate();
  append_json_escaped(out_, s);
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::value(int64_t n) {
  separate();
  out_ += std::to_string(n);
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::null() {
  separate();
  out_ += "null";
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::money_value(int64_t minor) {
  separate();
  out_ += format_decimal(minor, money_scale);
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::raw(std::string_view json) {
  separate();
  out_ += json;
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::iso_time(int64_t ns) {
  return value(std::string_view{format_iso_time(ns)});
}

} // namespace broker
